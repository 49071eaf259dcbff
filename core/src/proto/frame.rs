//! Framing (zookeeper-protocol.md §1): a 4-byte big-endian signed length, then that many bytes.

/// The default `jute.maxbuffer`: the largest payload a Java server or client accepts.
pub const MAX_FRAME_LEN: usize = 0xfffff;

/// Why a frame's length prefix is unacceptable. Either way the connection is closed with no reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length prefix is negative.
    #[error("negative frame length {0}")]
    Negative(i32),
    /// The length prefix exceeds the limit.
    #[error("frame length {len} exceeds the limit {max}")]
    TooLarge {
        /// The announced payload length.
        len: usize,
        /// The limit in force.
        max: usize,
    },
}

/// Reserves the 4-byte length of a frame at the end of `out`; returns where it starts, for
/// [`end_frame`].
pub fn begin_frame(out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    start
}

/// Patches the length reserved by [`begin_frame`] at `start`; returns the payload length.
///
/// # Panics
/// If `start` is not a reservation made on `out`, or the payload exceeds `i32::MAX` (bugs).
pub fn end_frame(out: &mut [u8], start: usize) -> usize {
    assert!(
        start + 4 <= out.len(),
        "end_frame: no frame begun at {start}"
    );
    let len = out.len() - start - 4;
    let wire = i32::try_from(len).expect("frame payload exceeds i32::MAX");
    out[start..start + 4].copy_from_slice(&wire.to_be_bytes());
    len
}

/// Appends one frame whose payload `write` produces; returns the payload length.
pub fn frame_into(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) -> usize {
    let start = begin_frame(out);
    write(out);
    end_frame(out, start)
}

/// Splits the first frame off `buf`: `Ok(Some((payload, consumed)))` when it is complete,
/// `Ok(None)` when more bytes are needed.
///
/// # Errors
/// A negative length, or one above `max_len`, as soon as the 4 length bytes are in.
pub fn split_frame(buf: &[u8], max_len: usize) -> Result<Option<(&[u8], usize)>, FrameError> {
    let Some(prefix) = buf.first_chunk::<4>() else {
        return Ok(None);
    };
    let raw = i32::from_be_bytes(*prefix);
    let len = usize::try_from(raw).map_err(|_| FrameError::Negative(raw))?;
    if len > max_len {
        return Err(FrameError::TooLarge { len, max: max_len });
    }
    Ok(buf.get(4..4 + len).map(|payload| (payload, 4 + len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_whole_partial_and_bad() {
        let mut out = vec![9];
        let len = frame_into(&mut out, |o| o.extend_from_slice(b"abc"));
        assert_eq!(len, 3);
        assert_eq!(out, [9, 0, 0, 0, 3, b'a', b'b', b'c']);
        let buf = &out[1..];
        assert_eq!(split_frame(buf, MAX_FRAME_LEN), Ok(Some((&b"abc"[..], 7))));
        for cut in 0..buf.len() {
            assert_eq!(
                split_frame(&buf[..cut], MAX_FRAME_LEN),
                Ok(None),
                "cut {cut}"
            );
        }
        assert_eq!(split_frame(&[0, 0, 0, 0], 0), Ok(Some((&[][..], 4))));
        assert_eq!(
            split_frame(&[0xff, 0xff, 0xff, 0xfe], MAX_FRAME_LEN),
            Err(FrameError::Negative(-2))
        );
        // "ruok" read as a length is far above the limit.
        assert_eq!(
            split_frame(b"ruok", MAX_FRAME_LEN),
            Err(FrameError::TooLarge {
                len: 0x7275_6f6b,
                max: MAX_FRAME_LEN
            })
        );
        assert_eq!(
            split_frame(&[0, 0x10, 0, 0], MAX_FRAME_LEN),
            Err(FrameError::TooLarge {
                len: 0x10_0000,
                max: MAX_FRAME_LEN
            })
        );
        assert_eq!(split_frame(&[0, 0x0f, 0xff, 0xff], MAX_FRAME_LEN), Ok(None));
    }
}
