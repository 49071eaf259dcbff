//! Where the CLI prints: stdout/stderr for real use, or one shared buffer for tests. Cloneable
//! so watch tasks can print events while the shell runs.

use std::io::Write;
use std::sync::{Arc, Mutex};

type Sink = Arc<Mutex<dyn Write + Send>>;

/// The CLI's two output streams.
#[derive(Clone)]
pub struct Console {
    out: Sink,
    err: Sink,
}

/// Text captured by [`Console::capture`], stdout and stderr interleaved in print order.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

struct CaptureWriter(Captured);

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
             .0
            .lock()
            .expect("capture lock poisoned")
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Takes everything printed so far.
    pub fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.0.lock().expect("capture lock poisoned"));
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Console {
    /// Prints to the process's stdout and stderr.
    pub fn stdio() -> Self {
        Self {
            out: Arc::new(Mutex::new(std::io::stdout())),
            err: Arc::new(Mutex::new(std::io::stderr())),
        }
    }

    /// Prints both streams into one in-memory buffer.
    pub fn capture() -> (Self, Captured) {
        let captured = Captured::default();
        let sink: Sink = Arc::new(Mutex::new(CaptureWriter(captured.clone())));
        (
            Self {
                out: sink.clone(),
                err: sink,
            },
            captured,
        )
    }

    /// Prints `text` to the output stream as is.
    pub fn out(&self, text: &str) {
        write_all(&self.out, text);
    }

    /// Prints `text` to the error stream as is.
    pub fn err_text(&self, text: &str) {
        write_all(&self.err, text);
    }

    /// Prints `text` and a newline to the error stream.
    pub fn err_line(&self, text: &str) {
        write_all(&self.err, &format!("{text}\n"));
    }
}

fn write_all(sink: &Sink, text: &str) {
    let mut sink = sink.lock().expect("console lock poisoned");
    // A closed stdout (e.g. `| head`) must not kill the shell, so write errors are dropped.
    let _ = sink.write_all(text.as_bytes());
    let _ = sink.flush();
}
