"""DESIGN.md's package table, enforced on the source: every import in model/, deploy/ and
edge_app/ (at the top of a module, inside a function or under TYPE_CHECKING, and
``importlib.import_module("...")`` with a literal name) is read with ``ast``.

- model/ imports neither edge_app, train nor deploy; torch only in the nets' modules.
- deploy/ imports neither edge_app nor train (it runs them as programs:
  ``deploy.programs``); torch only in export.py.
- edge_app/ never imports torch, train or deploy, nor a model/ module that imports torch.
- train/ imports no deploy, and of edge_app only the pose tracker (``edge_app.pose``,
  ``edge_app.track`` and the config they are built from) for keypoint extraction.

(``tests/deploy/test_calibration.py`` checks the same for deploy at run time.)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# model/'s modules that hold the PyTorch nets (DESIGN: "torch (nets only)")
MODEL_NETS = {"attention.py", "complexity.py", "epamnet.py", "shift.py", "xshiftnet.py"}
DEPLOY_TORCH = {"export.py"}  # DESIGN: "torch (export only)"
# DESIGN: train/ may import "edge_app's pose tracker (extraction only)": the pose model,
# the person tracks and the pose/track config they are built from
TRAIN_FROM_EDGE = ("edge_app.pose", "edge_app.track", "edge_app.config")


IMPORTERS = {"import_module", "__import__"}  # importlib.import_module("x"), __import__("x")


def _callee(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def imports(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line, dotted modules) of each absolute import statement in the file;
    ``from a import b`` gives ``a`` and ``a.b`` (b may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield node.lineno, [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif (isinstance(node, ast.Call) and _callee(node.func) in IMPORTERS and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.lineno, [node.args[0].value]


def _under(name: str, module: str) -> bool:
    return name == module or name.startswith(module + ".")


def _torch_modules(root: Path) -> set[str]:
    """model/'s modules that import torch (dotted: ``model.epamnet``)."""
    return {f"model.{p.stem}" for p in sorted((root / "model").rglob("*.py"))
            if any(_under(name, "torch") for _, names in imports(p) for name in names)}


def violations(root: Path) -> list[str]:
    """``path:line: imports X; <package>/ may not ...`` for every import the table forbids."""
    torchy = _torch_modules(root)
    out: list[str] = []

    def scan(package: str, forbidden: dict[str, str], allow_torch: set[str] | None) -> None:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            for line, names in imports(path):
                rules = dict(forbidden)
                if allow_torch is not None and path.name not in allow_torch:
                    rules["torch"] = (f"{package}/ imports torch only in "
                                      f"{', '.join(sorted(allow_torch))}")
                for module, why in rules.items():
                    hit = next((n for n in names if _under(n, module)), None)
                    if hit is not None:
                        out.append(f"{rel}:{line}: imports {hit}; {why}")

    scan("model", {m: "model/ is below every other package: it may import torch (nets "
                      "only) and numpy, never edge_app, train or deploy"
                   for m in ("edge_app", "train", "deploy")}, MODEL_NETS)
    scan("deploy", {m: "deploy/ may import model and torch (export only), not edge_app or "
                       "train: run them as programs (deploy.programs)"
                    for m in ("edge_app", "train")}, DEPLOY_TORCH)
    edge = {m: "edge_app/ may import model's numpy contract and labels, NEVER torch, "
               "train or deploy" for m in ("torch", "train", "deploy")}
    edge.update({m: f"edge_app/ never imports torch, and {m} does (move the torch-free part "
                    "into a module of its own)" for m in sorted(torchy)})
    scan("edge_app", edge, None)
    # train/: "model, torch, edge_app's pose tracker (extraction only)"
    for path in sorted((root / "train").rglob("*.py")) if (root / "train").is_dir() else []:
        rel = path.relative_to(root).as_posix()
        for line, names in imports(path):
            for name in names:
                if _under(name, "deploy"):
                    out.append(f"{rel}:{line}: imports {name}; train/ may import model, torch "
                               "and edge_app's pose tracker, never deploy")
                    break
                if _under(name, "edge_app") and not any(
                        _under(name, m) for m in TRAIN_FROM_EDGE):
                    out.append(f"{rel}:{line}: imports {name}; train/ may import only "
                               f"edge_app's pose tracker ({', '.join(TRAIN_FROM_EDGE)})")
                    break
    return out


def test_the_package_table_holds() -> None:
    found = violations(ROOT)
    assert not found, "DESIGN.md's package table is broken:\n" + "\n".join(found)


def test_the_scan_finds_imports_wherever_they_are(tmp_path: Path) -> None:
    for pkg in ("model", "deploy", "edge_app", "train"):
        (tmp_path / pkg).mkdir()
    (tmp_path / "train" / "extract.py").write_text(
        "from edge_app.track import PersonTracks\nfrom edge_app.runner import ModelRunner\n")
    (tmp_path / "model" / "epamnet.py").write_text("import torch\n")
    (tmp_path / "model" / "contract.py").write_text(
        "from __future__ import annotations\n\n\ndef f() -> None:\n    from torch import nn\n")
    (tmp_path / "deploy" / "models.py").write_text(
        "import importlib\n\n\ndef f() -> None:\n    from edge_app.runner import ModelRunner\n"
        "    importlib.import_module('train.cli')\n")
    (tmp_path / "deploy" / "export.py").write_text("import torch.onnx\n")
    (tmp_path / "edge_app" / "runner.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from model import epamnet\n"
        "from . import sibling\nfrom model.metadata import INPUT_NAMES\n")
    found = violations(tmp_path)
    assert [f.split(";")[0] for f in found] == [
        "model/contract.py:5: imports torch",
        "deploy/models.py:5: imports edge_app.runner",
        "deploy/models.py:6: imports train.cli",
        "edge_app/runner.py:3: imports model.epamnet",
        "train/extract.py:2: imports edge_app.runner",
    ]
    assert "model/ imports torch only in" in found[0]
    assert "not edge_app or train" in found[1]
