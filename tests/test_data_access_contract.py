"""The import contract behind "consent is enforced in one place": the models holding what residents entrusted
(app.household.models) are imported only by their own domain, by the consent door (app.consent, whose
`enforce.use` is the one way to residents' data for any purpose), by the schema registry and by the demo seed.

Every module under app/ is parsed with `ast` (nothing is imported or run), so a new module that reaches for the
household tables directly fails here with its file and line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
GUARDED = "app.household.models"
# Paths relative to the project root: a directory (ending in /) or one file.
ALLOWED = ("app/household/", "app/consent/items.py", "app/consent/derived_items.py", "app/models.py", "app/demo/")
# Who may import anything of app.household at all (its services read the same data): the door (items, enforce),
# the app factory (the blueprint), the registry, the seed, the linking views (data coming IN from a provider), and the
# resident's own disclosure-request form (it shows them the address the bank holds, to check before they send it).
HOUSEHOLD_READERS = ("app/household/", "app/consent/items.py", "app/consent/derived_items.py", "app/consent/enforce.py",
                     "app/models.py", "app/demo/", "app/__init__.py", "app/accounts/link_views.py", "app/city_records/views.py")
# Modules that re-export the guarded names (importing them from there is the same reach).
RE_EXPORTERS = ("app.models", "app.household")


@dataclass(frozen=True)
class Reach:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def guarded_names() -> set[str]:
    """The classes (tables) defined in the guarded module."""
    tree = ast.parse((APP / "household" / "models.py").read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef)}


def absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path, root: Path = ROOT) -> list[tuple[str, str]]:
    """(where, dotted name) for every import in `path`; a `from X import y` gives both X and X.y."""
    module, relative = module_name(path, root), path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(f"{relative}:{node.lineno}", alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = absolute(node, module, path.name == "__init__.py")
            found += [(f"{relative}:{node.lineno}", name) for name in [source] + [f"{source}.{a.name}" for a in node.names]]
    return found


def package_imports(path: Path, package: str, root: Path = ROOT) -> list[str]:
    """Where `path` imports `package` or anything in it (one entry per import statement)."""
    return list(dict.fromkeys(where for where, name in imports_of(path, root)
                              if name == package or name.startswith(package + ".")))


def is_guarded(module: str) -> bool:
    return module == GUARDED or module.startswith(GUARDED + ".")


def reaches(path: Path, names: set[str], root: Path = ROOT) -> list[Reach]:
    """Each place in `path` that imports the guarded module or one of its names."""
    module = module_name(path, root)
    is_package = path.name == "__init__.py"
    relative = path.relative_to(root).as_posix()
    found: list[Reach] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [Reach(relative, node.lineno, f"import {alias.name}") for alias in node.names if is_guarded(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            source = absolute(node, module, is_package)
            for alias in node.names:
                if (is_guarded(source) or is_guarded(f"{source}.{alias.name}")
                        or (source in RE_EXPORTERS and alias.name in names)):
                    found.append(Reach(relative, node.lineno, f"from {source} import {alias.name}"))
        elif isinstance(node, ast.Call):
            # importlib.import_module("app.household.models") / __import__(...) is the same reach.
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if callee in ("import_module", "__import__") and any(
                isinstance(arg, ast.Constant) and isinstance(arg.value, str) and is_guarded(arg.value) for arg in node.args
            ):
                found.append(Reach(relative, node.lineno, f"{callee}({GUARDED!r})"))
    return found


def allowed(path: Path, root: Path = ROOT) -> bool:
    relative = path.relative_to(root).as_posix()
    return any(relative.startswith(rule) if rule.endswith("/") else relative == rule for rule in ALLOWED)


def all_reaches() -> list[Reach]:
    names = guarded_names()
    return [reach for path in sorted(APP.rglob("*.py")) for reach in reaches(path, names)]


def test_only_the_owning_domain_the_consent_door_the_registry_and_the_seed_import_resident_data_models() -> None:
    every = all_reaches()
    # The contract is not vacuous: the guarded models exist and the allowed modules do import them.
    assert guarded_names() >= {"Child", "HomeAddress", "HealthScore"}
    assert every, f"nothing imports {GUARDED}: the contract checks nothing"
    assert any(r.path == "app/consent/items.py" for r in every), "the consent door no longer reads household data"
    offending = [r for r in every if not allowed(ROOT / r.path)]
    for reach in offending:
        print(f"{reach}  ({GUARDED} is read only through app.consent.enforce.use)")
    assert not offending, "modules outside the allowed set import resident-data models:\n" + "\n".join(map(str, offending))


@pytest.mark.parametrize(("source", "expected"), [
    ("from app.household.models import Child\n", ["from app.household.models import Child"]),
    ("import app.household.models as m\n", ["import app.household.models"]),
    ("from app.household import models\n", ["from app.household import models"]),
    ("from ..household.models import HealthScore\n", ["from app.household.models import HealthScore"]),
    ("from ..household import models as hm\n", ["from app.household import models"]),
    ("from app.models import HomeAddress, Resident\n", ["from app.models import HomeAddress"]),
    ("import importlib\nimportlib.import_module('app.household.models')\n", ["import_module('app.household.models')"]),
    ("from app.household import services\nfrom app.models import Resident\n", []),
])
def test_the_checker_sees_every_form_of_the_import(tmp_path: Path, source: str, expected: list[str]) -> None:
    # A module placed as app/reports/summary.py would be, to resolve its relative imports.
    module = tmp_path / "app" / "reports" / "summary.py"
    module.parent.mkdir(parents=True)
    module.write_text(source, encoding="utf-8")
    found = [r.what for r in reaches(module, guarded_names(), root=tmp_path)]
    assert found == expected
    assert not allowed(module, root=tmp_path)


# The pure modules of app.household: calendar arithmetic on a birth date (ages) and the shipped town list with its
# distances (address), and the household's change signal (events: it carries only the resident's id). They hold and
# read no resident data, so any module may import them (the recommendation engine does); everything else of
# app.household (models, services, views, export …) stays behind the door.
PURE_MODULES = ("app.household.ages", "app.household.address", "app.household.events")


def household_imports(path: Path, root: Path = ROOT) -> list[Reach]:
    """Each import of app.household or one of its modules, except of the pure ones."""
    module = module_name(path, root)
    relative = path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [Reach(relative, node.lineno, f"import {a.name}") for a in node.names
                      if is_household(a.name) and a.name not in PURE_MODULES]
        elif isinstance(node, ast.ImportFrom):
            source = absolute(node, module, path.name == "__init__.py")
            if not is_household(source):
                continue
            # "from app.household import ages" names the module app.household.ages; "from app.household.ages
            # import BirthDate" names the module itself.
            targets = [f"{source}.{a.name}" for a in node.names] if source == "app.household" else [source]
            found += [Reach(relative, node.lineno, f"from {source} import ...") for target in dict.fromkeys(targets)
                      if target not in PURE_MODULES]
    return found


def is_household(module: str) -> bool:
    return module == "app.household" or module.startswith("app.household.")


def household_reader(path: str) -> bool:
    return any(path.startswith(rule) if rule.endswith("/") else path == rule for rule in HOUSEHOLD_READERS)


def test_nothing_else_reaches_household_services_either() -> None:
    # Its services (children_of, views_of, export) read the same data as the models: the same door applies.
    every = [reach for path in sorted(APP.rglob("*.py")) for reach in household_imports(path)]
    assert any(r.path == "app/consent/enforce.py" for r in every)
    offending = [r for r in every if not household_reader(r.path)]
    assert not offending, "modules outside the door import app.household:\n" + "\n".join(map(str, offending))


@pytest.mark.parametrize(("source", "reaches_household"), [
    ("from app.household.ages import BirthDate, class_index\n", False),
    ("from app.household import ages, address\n", False),
    ("import app.household.address\n", False),
    ("from ..household.ages import possible_birth_dates\n", False),
    ("from app.household.models import Child\n", True),
    ("import app.household.models\n", True),
    ("from app.household import services\n", True),
    ("from app.household.services import children_of\n", True),
    ("from app.household import ages, services\n", True),
    ("from ..household import services as household\n", True),
    ("import app.household\n", True),
])
def test_only_the_pure_household_modules_may_be_imported_from_elsewhere(tmp_path: Path, source: str,
                                                                        reaches_household: bool) -> None:
    # Placed where the recommendation engine lives: it may use ages and address, never the resident data.
    module = tmp_path / "app" / "recommend" / "engine.py"
    module.parent.mkdir(parents=True)
    module.write_text(source, encoding="utf-8")
    found = household_imports(module, root=tmp_path)
    assert bool(found) is reaches_household
    assert not household_reader(module.relative_to(tmp_path).as_posix())
    guarded = reaches(module, guarded_names(), root=tmp_path)
    assert bool(guarded) is ("models" in source)


# A transfer's staged items are residents' data on its way out: their bodies are read only by the consent door, which
# records each release. Other switching code may count them and read ids and digests (the manifest), never a body.
STAGED_BODY_READERS = ("app/consent/transfers.py",)


def staged_body_reads(path: Path, root: Path = ROOT) -> list[Reach]:
    """`TransferItem.body`, or a whole `TransferItem` row selected (which carries the body)."""
    relative = path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Attribute) and node.attr == "body" and getattr(node.value, "id", "") == "TransferItem":
            found.append(Reach(relative, node.lineno, "TransferItem.body"))
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("select", "get")
              and any(getattr(arg, "id", "") == "TransferItem" for arg in node.args)):
            found.append(Reach(relative, node.lineno, "a whole TransferItem row"))
    return found


def test_only_the_consent_door_reads_staged_transfer_items() -> None:
    every = [reach for path in sorted(APP.rglob("*.py")) for reach in staged_body_reads(path)]
    assert any(r.path == "app/consent/transfers.py" for r in every), "the door no longer reads staged items"
    offending = [r for r in every if r.path not in STAGED_BODY_READERS]
    assert not offending, "modules outside the door read staged items:\n" + "\n".join(map(str, offending))


@pytest.mark.parametrize(("source", "reads"), [
    ("rows = session.exec(select(TransferItem).where(TransferItem.job_id == j))\n", True),
    ("text = session.exec(select(TransferItem.body))\n", True),
    ("row = session.get(TransferItem, 1)\n", True),
    ("ids = session.exec(select(TransferItem.item_id, TransferItem.sha256))\n", False),
])
def test_the_staged_item_checker_sees_a_body_read(tmp_path: Path, source: str, reads: bool) -> None:
    module = tmp_path / "app" / "switching" / "sneaky.py"
    module.parent.mkdir(parents=True)
    module.write_text(source, encoding="utf-8")
    assert bool(staged_body_reads(module, root=tmp_path)) is reads
