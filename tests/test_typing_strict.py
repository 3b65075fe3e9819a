"""Issue 15: every services, selectors and roles module is checked by mypy as strictly as `--strict` allows
per module, and so is any new app's from its first commit. These read pyproject.toml the way mypy does
(its own config parser), so a narrowed pattern, a dropped flag or a flag a newer mypy adds to `--strict`
fails here rather than silently leaving a module loose. `mypy civic311` itself runs in CI, not here.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from mypy.config_parser import parse_config_file
from mypy.main import process_options
from mypy.options import PER_MODULE_OPTIONS, Options

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "civic311"
EXTRA_STRICT_MODULES = {"civic311.people.roles", "civic311.people.contact_details", "civic311.people.email_sign_in"}


def _options() -> Options:
    options = Options()
    parse_config_file(options, lambda: None, str(ROOT / "pyproject.toml"), stdout=io.StringIO(), stderr=io.StringIO())
    return options


def _strict_per_module_flags() -> dict[str, object]:
    """What `--strict` changes among the options a config file may set per module (from mypy itself)."""
    _, strict = process_options(["--config-file", "", "--strict", "x.py"])
    _, plain = process_options(["--config-file", "", "x.py"])
    return {
        name: getattr(strict, name)
        for name in sorted(PER_MODULE_OPTIONS)
        if getattr(strict, name, None) != getattr(plain, name, None)
    }


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer_modules() -> list[str]:
    """The services, selectors and roles modules in the tree (a `services` package with all its modules)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        name = _module_name(path)
        parts = name.split(".")
        if (
            parts[-1] in {"services", "selectors"}
            or parts[-1].endswith("_services")
            or "services" in parts[1:-1]
            or name in EXTRA_STRICT_MODULES
        ):
            found.append(name)
    return found


def _is_strict(options: Options, module: str, flags: dict[str, object]) -> list[str]:
    """The strict flags `module` does not get (empty: fully strict)."""
    per_module = options.clone_for_module(module)
    return [name for name, wanted in flags.items() if getattr(per_module, name) != wanted]


def test_strict_covers_what_mypy_allows_per_module():
    flags = _strict_per_module_flags()
    # The flags --strict sets that a module section can hold; if mypy adds one, this list tells us.
    assert set(flags) >= {
        "disallow_untyped_defs",
        "disallow_incomplete_defs",
        "disallow_untyped_calls",
        "disallow_untyped_decorators",
        "disallow_any_generics",
        "disallow_subclassing_any",
        "check_untyped_defs",
        "warn_return_any",
        "warn_unused_ignores",
        "implicit_reexport",
        "strict_equality",
        "extra_checks",
    }


def test_every_services_selectors_and_roles_module_is_strict():
    options, flags = _options(), _strict_per_module_flags()
    modules = _layer_modules()
    assert len(modules) >= 40  # the tree's layer today; fewer means the scan above broke
    assert "civic311.service_requests.services.intake" in modules
    loose = {module: missing for module in modules if (missing := _is_strict(options, module, flags))}
    assert loose == {}


@pytest.mark.parametrize(
    "module",
    [
        "civic311.newapp.services",
        "civic311.newapp.selectors",
        "civic311.newapp.services.filing",  # a services package's modules
        "civic311.newapp.board_services",
    ],
)
def test_a_new_app_is_strict_from_the_start(module):
    assert _is_strict(_options(), module, _strict_per_module_flags()) == []


@pytest.mark.parametrize(
    "module",
    ["civic311.people.models", "civic311.console.views", "civic311.settings", "civic311.services_extra"],
)
def test_the_override_stops_at_the_layer(module):
    """Views, models and settings keep the project's ordinary checks (the override is no blanket --strict)."""
    per_module = _options().clone_for_module(module)
    assert per_module.disallow_untyped_defs is False
    assert per_module.check_untyped_defs is True  # the project-wide setting still holds
