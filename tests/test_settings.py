"""Settings: docs/settings.md lists every one, and they are read in the documented order.

- the table of docs/settings.md holds exactly the settings of SETTINGS, with
  their environment variables, defaults (written as TOML values) and help,
  and the example settings file there loads;
- load_settings reads overrides over the environment over the settings file
  over the defaults, turns text into each default's type, and refuses a bad
  value or an unknown name in the file, saying which.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from escrutinio.settings import SETTINGS, SettingsError, load_settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
DEFAULTS = {s.name: s.default for s in SETTINGS}


def _doc_rows() -> dict[str, tuple[str, object, str]]:
    """setting -> (environment variable, default, help) from the table of docs/settings.md."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and cells[1].startswith("`ESCRUTINIO_"):
            name, env, default, help_text = cells
            assert name not in rows, f"{name} is listed twice"
            rows[name.strip("`")] = (env.strip("`"), tomllib.loads(f"v = {default.strip('`')}")["v"], help_text)
    return rows


def _settings_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- the doc -------------------------------------------------------------------


def test_doc_lists_exactly_the_settings():
    assert list(_doc_rows()) == [s.name for s in SETTINGS]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_doc_gives_each_setting_its_variable_default_and_help(setting):
    env, default, help_text = _doc_rows()[setting.name]
    assert env == setting.env == f"ESCRUTINIO_{setting.name.upper()}"
    assert (default, type(default)) == (setting.default, type(setting.default))
    assert help_text == setting.help


def test_doc_example_settings_file_loads(tmp_path):
    [example] = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    settings = load_settings({"ESCRUTINIO_SETTINGS_FILE": _settings_file(tmp_path, example)})
    assert set(tomllib.loads(example)) == set(DEFAULTS), "the example shows every setting"
    assert (settings.host, settings.port, settings.max_body_bytes) == ("0.0.0.0", 8080, 2_000_000)


# -- the order they are read in ------------------------------------------------


def test_defaults_without_environment_or_file():
    assert dict(load_settings({})) == DEFAULTS


def test_environment_over_file_over_default(tmp_path):
    path = _settings_file(tmp_path, 'host = "0.0.0.0"\nport = 8080\n')
    settings = load_settings({"ESCRUTINIO_SETTINGS_FILE": path, "ESCRUTINIO_PORT": "9000"})
    assert settings.port == 9000, "the environment wins over the file"
    assert settings.host == "0.0.0.0", "the file wins over the default"
    assert settings.sse_queue_size == DEFAULTS["sse_queue_size"] == 16


def test_overrides_over_environment_and_file(tmp_path):
    path = _settings_file(tmp_path, "port = 8080\n")
    environ = {"ESCRUTINIO_SETTINGS_FILE": path, "ESCRUTINIO_PORT": "9000", "ESCRUTINIO_HOST": "10.0.0.1"}
    settings = load_settings(environ, port=9001, host=None)
    assert settings.port == 9001
    assert settings.host == "10.0.0.1", "an override of None (an option not given) changes nothing"


def test_environment_is_read_when_called(monkeypatch):
    monkeypatch.setenv("ESCRUTINIO_DEFAULT_LANGUAGE", "en")
    monkeypatch.delenv("ESCRUTINIO_SETTINGS_FILE", raising=False)
    assert load_settings().default_language == "en"
    monkeypatch.setenv("ESCRUTINIO_DEFAULT_LANGUAGE", "es")
    assert load_settings().default_language == "es"


def test_settings_read_as_mapping_or_attributes():
    settings = load_settings({"ESCRUTINIO_PORT": "8123"})
    assert settings["port"] == settings.port == 8123
    assert settings.replace(port=1).port == 1 and settings.port == 8123
    with pytest.raises(AttributeError):
        settings.prot
    with pytest.raises(KeyError, match="prot"):
        settings.replace(prot=1)


# -- types and errors ----------------------------------------------------------


def test_text_becomes_the_type_of_the_default(tmp_path):
    settings = load_settings({"ESCRUTINIO_PORT": "8080", "ESCRUTINIO_LIVE_POLL_SECONDS": "2",
                              "ESCRUTINIO_SSE_QUEUE_SIZE": "4"})
    assert (settings.port, settings.live_poll_seconds, settings.sse_queue_size) == (8080, 2.0, 4)
    assert type(settings.live_poll_seconds) is float
    from_file = load_settings({"ESCRUTINIO_SETTINGS_FILE": _settings_file(tmp_path, "live_poll_seconds = 1\n")})
    assert type(from_file.live_poll_seconds) is float and from_file.live_poll_seconds == 1.0


@pytest.mark.parametrize("env,value", [("ESCRUTINIO_PORT", "eighty"), ("ESCRUTINIO_PORT", "80.5"),
                                       ("ESCRUTINIO_LIVE_POLL_SECONDS", "fast"), ("ESCRUTINIO_PORT", "")])
def test_bad_value_names_the_setting_and_its_variable(env, value):
    name = env.removeprefix("ESCRUTINIO_").lower()
    with pytest.raises(ValueError, match=rf"setting {name} \({env}\): {re.escape(repr(value))} is not a"):
        load_settings({env: value})


def test_bad_value_in_the_file_is_refused(tmp_path):
    path = _settings_file(tmp_path, 'port = "eighty"\n')
    with pytest.raises(ValueError, match=r"setting port \(ESCRUTINIO_PORT\): 'eighty'"):
        load_settings({"ESCRUTINIO_SETTINGS_FILE": path})


def test_unknown_names_in_the_file_are_refused(tmp_path):
    path = _settings_file(tmp_path, 'prot = 8080\nhost = "0.0.0.0"\ncolour = "red"\n')
    with pytest.raises(ValueError, match=rf"^{re.escape(path)}: unknown setting\(s\) colour, prot$"):
        load_settings({"ESCRUTINIO_SETTINGS_FILE": path})


def test_unknown_environment_variables_are_ignored():
    assert dict(load_settings({"ESCRUTINIO_PROT": "1", "ESCRUTINIO_TEST_POSTGRESQL_URL": "x"})) == DEFAULTS


def test_a_setting_with_choices_refuses_another_word():
    assert load_settings({"ESCRUTINIO_PUBLIC_OPERATOR_NAMES": "role"}).public_operator_names == "role"
    with pytest.raises(SettingsError, match="public_operator_names.*'roles' is not one of full, role"):
        load_settings({"ESCRUTINIO_PUBLIC_OPERATOR_NAMES": "roles"})
