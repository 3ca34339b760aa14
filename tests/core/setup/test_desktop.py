import shutil
import subprocess
from pathlib import Path

from tests.conftest import run_cli


def test_install_and_uninstall_the_menu_entry(user_folders: Path):
    done = run_cli("install-desktop")
    assert done.returncode == 0, done.stderr
    data = user_folders / "xdg_data_home"
    entry = data / "applications" / "ks-gui.desktop"
    icon = data / "icons" / "hicolor" / "scalable" / "apps" / "ks-gui.svg"
    assert entry.is_file() and icon.read_text().startswith("<svg")
    text = entry.read_text()
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert Path(exec_line.removeprefix("Exec=").split()[0]).is_file()  # runs this installation's ks-gui
    assert "MimeType=inode/directory;" in text  # offered under Open With for folders...
    assert not (user_folders / "xdg_config_home" / "mimeapps.list").exists()  # ...but never made the default
    validator = shutil.which("desktop-file-validate")
    assert validator, "desktop-file-validate (desktop-file-utils) is installed by make test"
    checked = subprocess.run([validator, str(entry)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    done = run_cli("uninstall-desktop")
    assert done.stdout.strip() == "Removed ks-gui from the application menu."
    assert not entry.exists() and not icon.exists()
