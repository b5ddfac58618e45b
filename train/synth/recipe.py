"""Recipes: every setting of a ``train.synth`` data set in one YAML file.

A recipe names the generator's settings (``SynthConfig``'s fields, the ``noise``
section ``NoiseConfig``'s) and, optionally, ``out``: the folder it is written to.
``python -m train.synth --recipe FILE`` makes the data set; flags given with it override
the recipe's values (``--out``, ``--workers``, ``--seed``, ``--clips-per-class``...). A
training config names the recipe that makes its ``data.ann_file``
(``data.synth_recipe``), so a run can be redone from a clean clone: the recipe, then
the config. Relative paths (``out``, ``profile``) are taken from the working directory,
as in the training configs: run both from the repository root.

The shipped recipes (``train/synth/recipes/``) list every setting, so a later change of a
default cannot change their data.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from train.synth.generate import SynthConfig
from train.synth.noise import NoiseConfig

__all__ = [
    "RECIPE_DIR",
    "Recipe",
    "RecipeError",
    "check_data",
    "load_recipe",
    "recipe_keys",
    "recipe_values",
]

RECIPE_DIR = Path(__file__).resolve().parent / "recipes"
# Not settings of the data: how many processes make it (the output does not depend on it).
NOT_DATA = frozenset({"workers"})


class RecipeError(ValueError):
    """A problem with a recipe file, worded for the person who wrote it."""


@dataclass(frozen=True)
class Recipe:
    """A loaded recipe: the generator's settings, its output folder (if it names one),
    and the file's name and sha256 (recorded in ``generator.json``)."""

    config: SynthConfig
    out: Path | None
    name: str
    sha256: str

    def provenance(self) -> dict[str, str]:
        return {"name": self.name, "sha256": self.sha256}


def recipe_keys() -> tuple[list[str], list[str]]:
    """The keys a recipe may hold: top level (with ``out`` and ``noise``), and under
    ``noise``."""
    top = [f.name for f in fields(SynthConfig) if f.name != "noise"] + ["noise", "out"]
    return top, [f.name for f in fields(NoiseConfig)]


def _coerce(where: str, value: Any, default: Any) -> Any:
    """``value`` as the type of the field's ``default`` (YAML gives lists, not tuples)."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, tuple):
        ok = isinstance(value, list | tuple) and (
            len(value) == len(default) or isinstance(default[0], str))
        if ok:
            items = [_coerce(f"{where}[{i}]", v, default[0]) for i, v in enumerate(value)]
            value = tuple(items)
    else:  # pragma: no cover - every field has one of the types above
        ok = True
    if not ok:
        shown = (f"a list of {len(default)} numbers" if isinstance(default, tuple)
                 and not isinstance(default[0], str) else type(default).__name__)
        raise RecipeError(f"{where}: expected {shown}, got {value!r}")
    return value


def _unknown(keys: list[str], valid: list[str], where: str) -> None:
    for key in keys:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise RecipeError(f"unknown key '{key}' {where}.{hint} Valid keys: "
                              f"{', '.join(valid)}")


def recipe_values(data: dict[str, Any], origin: str = "recipe") -> tuple[SynthConfig,
                                                                       Path | None]:
    """Validate a recipe mapping: ``(SynthConfig, out or None)``."""
    top, noise_keys = recipe_keys()
    _unknown([str(k) for k in data], top, f"in {origin}")
    defaults, noise_defaults = SynthConfig(video=False), NoiseConfig()
    noise_data = data.get("noise") or {}
    if not isinstance(noise_data, dict):
        raise RecipeError(f"{origin}: 'noise' must be a mapping of keys")
    _unknown([str(k) for k in noise_data], noise_keys, f"under 'noise' in {origin}")
    kw = {k: _coerce(f"{origin}: {k}", v, getattr(defaults, k))
          for k, v in data.items() if k not in ("noise", "out")}
    noise_kw = {k: _coerce(f"{origin}: noise.{k}", v, getattr(noise_defaults, k))
                for k, v in noise_data.items()}
    out = data.get("out")
    if out is not None and not isinstance(out, str):
        raise RecipeError(f"{origin}: out: expected a folder, got {out!r}")
    try:
        cfg = SynthConfig(**kw, noise=NoiseConfig(**noise_kw))
    except ValueError as exc:
        raise RecipeError(f"{origin}: {exc}") from None
    if not Path(cfg.profile).is_file():
        raise RecipeError(f"{origin}: profile {cfg.profile} does not exist (a relative path "
                          f"is taken from the working directory, {Path.cwd()}: run from the "
                          "repository root)")
    return cfg, None if out is None else Path(out)


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe file (``RecipeError`` says what is wrong)."""
    path = Path(path)
    if not path.is_file():
        shipped = sorted(p.name for p in RECIPE_DIR.glob("*.yaml"))
        raise RecipeError(f"recipe {path} does not exist (shipped recipes in "
                          f"{RECIPE_DIR}: {', '.join(shipped)})")
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise RecipeError(f"recipe {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RecipeError(f"recipe {path} must be a mapping of keys")
    cfg, out = recipe_values(data, str(path))
    return Recipe(cfg, out, path.name, hashlib.sha256(raw).hexdigest())


def check_data(recipe: str | Path, ann_file: str | Path) -> list[str]:
    """How the data set of ``ann_file`` differs from what ``recipe`` makes, from the
    ``generator.json`` written beside it (empty: the same settings, or nothing to compare
    with). Raises ``RecipeError`` for a bad recipe."""
    gen = Path(ann_file).parent / "generator.json"
    if not gen.is_file():
        return []
    try:
        made = json.loads(gen.read_text())["config"]
    except (OSError, ValueError, KeyError, TypeError):
        return [f"{gen} cannot be read"]
    want = json.loads(json.dumps(load_recipe(recipe).config.to_dict()))
    skip = NOT_DATA | {"video"}
    return [f"{k}: {made.get(k)!r}, the recipe {v!r}" for k, v in want.items()
            if k not in skip and made.get(k) != v]
