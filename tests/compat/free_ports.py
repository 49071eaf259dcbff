"""Prints a base port P such that P..P+N-1 are all free on 127.0.0.1 (N from argv[1]), drawn
below Linux's ephemeral range and always five digits. A port in TIME_WAIT counts as free (as
for a server that sets SO_REUSEADDR); one in LISTEN does not."""
import random
import socket
import sys


def free(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def main():
    count = int(sys.argv[1])
    for _ in range(200):
        base = random.randrange(20000, 32000)
        if all(free(base + i) for i in range(count)):
            print(base)
            return
    sys.exit(f"free_ports.py: no {count} free ports in a row")


main()
