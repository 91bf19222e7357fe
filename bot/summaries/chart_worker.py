"""The chart process: draws each summary the service sends on stdin, answers on stdout."""

from __future__ import annotations

import pickle
import signal
import sys
from typing import BinaryIO

from bot.summaries.chart_process import FRAME_LENGTH, drawn_here


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer each request in order until the service closes its end."""
    while True:
        head = requests.read(FRAME_LENGTH.size)
        if len(head) < FRAME_LENGTH.size:
            return  # the service closed our stdin, or ended
        summary, channel_name = pickle.loads(requests.read(FRAME_LENGTH.unpack(head)[0]))
        answer: tuple[bool, object]
        try:
            answer = (True, drawn_here(summary, channel_name))
        except Exception as exc:  # the service hears why; the next summary is drawn as usual
            answer = (False, f"{type(exc).__name__}: {exc}")
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(FRAME_LENGTH.pack(len(data)) + data)
        answers.flush()


if __name__ == "__main__":
    # Ctrl-C in a terminal reaches the whole process group: the service stops on it and then
    # closes our stdin, once the summaries in hand are drawn
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)
