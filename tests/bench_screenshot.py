"""Time one capture + encode + write on $DISPLAY: `python tests/bench_screenshot.py [--monitor N]`.

Prints "SECONDS FORMAT WIDTHxHEIGHT BYTES peak_rss=MiB tracemalloc_peak=MiB" so a cold run
can be timed with hyperfine and the in-process numbers read from the same line.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Capture, encode and write a screenshot to a temp file; print the elapsed seconds."""
    import argparse
    import os
    import resource
    import tempfile
    import time
    import tracemalloc

    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--monitor", type=int, default=None)
    parser.add_argument("--trace", action="store_true", help="also measure tracemalloc's peak")
    args = parser.parse_args(argv)
    if args.trace:
        tracemalloc.start()

    from escalate.capture.screenshot import capture

    shot = capture(monitor=args.monitor, timeout=10)
    fd, name = tempfile.mkstemp(suffix="." + shot.extension)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(shot.png)
    finally:
        os.unlink(name)
    elapsed = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.trace else float("nan")
    print(
        f"{elapsed:.3f} {shot.format} {shot.width}x{shot.height} {len(shot.png)} "
        f"peak_rss={rss:.1f}MiB tracemalloc_peak={traced:.1f}MiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
