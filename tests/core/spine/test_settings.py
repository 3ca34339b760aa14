import json
from pathlib import Path

from ks_gui.core.settings import Settings, load_settings, save_settings, settings_file


def test_round_trip_under_the_user_config_dir(user_folders: Path):
    settings = Settings(license_mode="account", license_value="ada@example.org", gpu="1", images={"kilosort2.5": "x"})
    save_settings(settings)
    assert settings_file().is_relative_to(user_folders)
    loaded = load_settings()
    assert loaded.settings == settings and loaded.warning is None


def test_missing_file_gives_defaults_silently():
    loaded = load_settings()
    assert loaded.settings == Settings() and loaded.warning is None


def test_corrupt_file_gives_defaults_and_says_so():
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text('{"sorter": "kilosort2.5", "gpu": ')  # cut off mid-write by a crash
    loaded = load_settings()
    assert loaded.settings == Settings()
    assert loaded.warning.startswith(f"Your settings file {settings_file()} could not be read")


def test_old_or_odd_fields_are_reset_one_by_one():
    settings_file().parent.mkdir(parents=True)
    settings_file().write_text(json.dumps({"version": 0, "gpu": 1, "license_value": "27000@lic", "theme": "dark"}))
    loaded = load_settings()
    assert loaded.settings.license_value == "27000@lic"  # kept
    assert loaded.settings.gpu == "auto"  # an int where text belongs: reset
    assert loaded.warning.endswith("were not understood and were reset: gpu.")


def test_no_secret_fields():
    names = set(Settings.__dataclass_fields__)
    assert not {name for name in names if "password" in name or "token" in name}
