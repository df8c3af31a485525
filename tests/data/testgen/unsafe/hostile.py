"""Functions that misbehave: each one must be contained by the sandbox."""

import os


def loop_forever(n: int) -> int:
    while True:
        n += 1


def fork_bomb() -> int:
    while True:
        os.fork()


def allocate_forever() -> int:
    hoard = []
    while True:
        hoard.append(b"x" * (64 * 1024 * 1024))


def print_gigabytes() -> int:
    chunk = "x" * (1024 * 1024)
    for _ in range(4096):
        print(chunk)
    return 0


def delete_everything() -> int:
    removed = 0
    for name in os.listdir("."):
        os.remove(name)
        removed += 1
    return removed


def connect_out() -> str:
    import socket

    socket.create_connection(("192.0.2.1", 80), timeout=1)
    return "connected"


def spew_to_descriptor() -> int:
    chunk = b"y" * (1024 * 1024)
    for _ in range(2048):
        os.write(1, chunk)
    return 0


def close_stdout() -> str:
    with open(1, "w") as stream:  # leaving the block closes descriptor 1 of whoever runs it
        stream.write("")
    return "closed"


def own_descriptor() -> str:
    fd = os.open("own.txt", os.O_RDWR | os.O_CREAT)
    with open(fd, "w") as stream:  # a descriptor the call opened itself is the call's to close
        stream.write("mine")
    return "written"
