"""The child process of `tooltrack.ingest.chunks`: `python -m tooltrack.ingest.chunk_worker`.

Reads frames from stdin (`tooltrack.ingest.frames`), each a pickle of
`(lines, options, writers)`, and answers each with a frame holding the pickled `PreparedChunk`,
in order, until stdin ends. An error ends the process (its traceback on stderr): the parent then
prepares the chunk itself, which raises the same error there.

Its own module, started with `python -m` rather than through multiprocessing, so that nothing of
the caller's `__main__` is imported again in the child (a script without a main guard would run
twice).
"""

from __future__ import annotations

import os
import pickle
import sys

from tooltrack.ingest.frames import read_frame, write_frame


def main() -> None:
    # Frames go to a private copy of stdout; anything printed goes to stderr instead of into them.
    frames = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests = sys.stdin.buffer
    # Imported after the swap: anything its imports print goes to stderr, not into the frames.
    from tooltrack.ingest.chunks import prepare_chunk

    try:
        while (payload := read_frame(requests)) is not None:
            lines, options, writers = pickle.loads(payload)
            answer = pickle.dumps(prepare_chunk(lines, options, writers), protocol=pickle.HIGHEST_PROTOCOL)
            write_frame(frames, answer)
    except (BrokenPipeError, KeyboardInterrupt):
        # The parent stopped reading (it gave up on this file) or the user pressed Ctrl-C, which
        # reaches the whole process group: the parent reports; a traceback here would be noise.
        os._exit(1)


if __name__ == "__main__":
    main()
