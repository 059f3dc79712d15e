"""scripts/quickstart.py: the README's install command, on a Python without pip or ensurepip."""

from __future__ import annotations

import hashlib
import http.server
import importlib.util
import subprocess
import sys
import threading
import venv
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from escalate import __version__

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "quickstart.py"


@pytest.fixture(scope="module")
def quickstart() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quickstart", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pip_wheel_of_this_python() -> Path | None:
    try:
        import ensurepip
    except ImportError:
        return None
    # A private helper, but the one place that knows where the wheel is: inside ensurepip
    # upstream, in /usr/share/python-wheels on Debian.
    package = ensurepip._get_packages()["pip"]
    if package.wheel_path:
        return Path(package.wheel_path)
    return Path(ensurepip.__file__).parent / "_bundled" / package.wheel_name


@pytest.fixture
def pip_wheel(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The real pip wheel this Python bundles, served on 127.0.0.1 like a package index."""
    source = _pip_wheel_of_this_python()
    if source is None:
        pytest.skip("this Python has no ensurepip, so no pip wheel to serve")
    served = tmp_path / "index"
    served.mkdir()
    wheel = served / source.name
    wheel.write_bytes(source.read_bytes())

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(served))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{wheel.name}"
        yield url, hashlib.sha256(wheel.read_bytes()).hexdigest()
    finally:
        server.shutdown()
        server.server_close()


def test_venv_gets_pip_without_ensurepip(
    quickstart: ModuleType, pip_wheel: tuple[str, str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As on Debian without python3-venv: the venv is made without pip, then pip is fetched.
    monkeypatch.setattr(quickstart, "has_ensurepip", lambda: False)
    url, sha256 = pip_wheel
    folder = tmp_path / ".venv"
    python = quickstart.ensure_venv(folder, pip_url=url, pip_sha256=sha256)
    assert python == quickstart.venv_python(folder)
    version = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True,
                             text=True, check=True).stdout
    assert str(folder) in version  # pip runs from the new environment, not from this one
    # A second run keeps the working environment as it is.
    marker = folder / "kept"
    marker.write_text("")
    again = quickstart.ensure_venv(folder, pip_url="http://127.0.0.1:9/none", pip_sha256="")
    assert again == python
    assert marker.exists()


def test_a_pip_that_does_not_match_its_hash_is_not_used(
    quickstart: ModuleType, pip_wheel: tuple[str, str], tmp_path: Path,
) -> None:
    url, _ = pip_wheel
    folder = tmp_path / ".venv"
    venv.EnvBuilder(with_pip=False).create(folder)
    with pytest.raises(quickstart.QuickstartError, match="does not match its expected hash"):
        quickstart.bootstrap_pip(quickstart.venv_python(folder), url, "0" * 64)
    assert not list(folder.rglob("pip/__init__.py"))


def test_pip_only_from_https_or_loopback(quickstart: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(quickstart.QuickstartError, match="refusing to fetch pip"):
        quickstart.bootstrap_pip(tmp_path / "python", "http://example.org/pip.whl", "")


def test_too_old_a_python_gets_one_line(
    quickstart: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "version_info", (3, 10, 12, "final", 0))
    assert quickstart.main([]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("quickstart: error: escalate needs Python 3.11 or newer; this is 3.10.12")


def test_without_a_terminal_it_shows_the_version_and_how_to_start(
    quickstart: ModuleType, capfd: pytest.CaptureFixture[str],
) -> None:
    # The test environment is a virtual environment with escalate installed, like .venv.
    folder = Path(sys.prefix)
    if not quickstart.venv_program(folder, "escalate").exists():
        pytest.skip(f"escalate is not installed as a program in {folder}")
    assert quickstart.start_escalate(folder, interactive=False) == 0
    out, err = capfd.readouterr()
    assert out.strip() == f"escalate {__version__}"
    assert f"escalate is installed: run {quickstart.venv_program(folder, 'escalate')}" in err
    assert f". {folder}/bin/activate" in err


def test_arguments_after_dash_dash_only_with_tests(
    quickstart: ModuleType, capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        quickstart.main(["-x"])
    assert info.value.code == 2
    assert "unrecognised arguments: -x" in capsys.readouterr().err


@pytest.mark.e2e
def test_ctrl_c_is_left_to_the_program_it_started(tmp_path: Path) -> None:
    # escalate keeps its draft on Ctrl-C; the script must wait for that, not kill it.
    import pexpect

    child_code = (
        "import signal, sys, time\n"
        "def stop(*_):\n"
        "    time.sleep(0.3)\n"
        "    print('child kept its work', flush=True)\n"
        "    sys.exit(7)\n"
        "signal.signal(signal.SIGINT, stop)\n"
        "print('child ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    driver = tmp_path / "driver.py"
    driver.write_text(
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('quickstart', {str(SCRIPT)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        f"code = module.hand_over([sys.executable, '-c', {child_code!r}])\n"
        "print('exit', code, flush=True)\n"
    )
    session = pexpect.spawn(sys.executable, [str(driver)], encoding="utf-8", timeout=30)
    session.expect_exact("child ready")
    session.sendintr()
    session.expect_exact("child kept its work")
    session.expect_exact("exit 7")
    session.expect(pexpect.EOF)
    assert "Traceback" not in (session.before or "")
