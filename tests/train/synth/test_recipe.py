"""Generator recipes: the shipped ones, the file format, the command line, the training
configs that name them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml

from tests.train.synth.test_generate import SHIPPED_DIGESTS, shipped_digest
from train.config import CONFIG_DIR, ConfigError, config_from_dict, load_config
from train.engine import check_synth_recipe
from train.pyskl import DatasetError
from train.synth.__main__ import main
from train.synth.generate import SynthConfig
from train.synth.noise import NoiseConfig
from train.synth.recipe import RECIPE_DIR, RecipeError, check_data, load_recipe, recipe_keys

SHIPPED = sorted(RECIPE_DIR.glob("*.yaml"))
# the shipped model's stages: recipe -> seed whose clips SHIPPED_DIGESTS pins
STAGES = {"adl_bundled_reduced.yaml": 0, "adl_bundled.yaml": 1}


def test_shipped_recipes_list_every_setting_and_load() -> None:
    assert {p.name for p in SHIPPED} >= set(STAGES) | {"adl_rgb.yaml"}
    top, noise = recipe_keys()
    for path in SHIPPED:
        data = yaml.safe_load(path.read_text())
        # every setting written out: a later change of a default cannot change the data
        assert set(data) == set(top) - {"workers"}, path.name
        assert set(data["noise"]) == set(noise), path.name
        recipe = load_recipe(path)
        assert recipe.out is not None and recipe.out.parts[0] == "work_dirs"
        assert recipe.config.profile == "train/synth/noise_profile.json"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_the_shipped_stages_recipes_make_the_shipped_data(name: str) -> None:
    cfg = load_recipe(RECIPE_DIR / name).config
    assert shipped_digest(cfg) == SHIPPED_DIGESTS[STAGES[name]]


def test_recipes_match_the_defaults_but_for_size_seed_and_video() -> None:
    for path in SHIPPED:
        cfg = load_recipe(path).config
        ref = SynthConfig(clips_per_class=cfg.clips_per_class, seed=cfg.seed, video=cfg.video,
                          profile=cfg.profile)
        assert cfg == ref, path.name


def test_bad_recipes_are_refused(tmp_path: Path) -> None:
    def write(text: str) -> Path:
        path = tmp_path / "r.yaml"
        path.write_text(text)
        return path

    with pytest.raises(RecipeError, match="Did you mean 'clips_per_class'"):
        load_recipe(write("clip_per_class: 3\n"))
    with pytest.raises(RecipeError, match="under 'noise'.*Did you mean 'jitter_scale'"):
        load_recipe(write("noise: {jitter_scal: [1, 2]}\n"))
    with pytest.raises(RecipeError, match="seed: expected int"):
        load_recipe(write("seed: 1.5\n"))
    with pytest.raises(RecipeError, match="height_frac: expected a list of 2 numbers"):
        load_recipe(write("height_frac: [0.2]\n"))
    with pytest.raises(RecipeError, match="partial_prob"):
        load_recipe(write("partial_prob: 3\n"))
    with pytest.raises(RecipeError, match="wave_sweep_prob"):  # removed options are unknown
        load_recipe(write("wave_sweep_prob: 0.5\n"))
    with pytest.raises(RecipeError, match="profile nowhere.json does not exist"):
        load_recipe(write("profile: nowhere.json\n"))
    with pytest.raises(RecipeError, match="mapping"):
        load_recipe(write("- 1\n"))
    with pytest.raises(RecipeError, match="does not exist.*adl_bundled.yaml"):
        load_recipe(tmp_path / "missing.yaml")
    ok = load_recipe(write("seed: 3\nclasses: [walking, falling]\nnoise: {dropout_scale: 2}\n"))
    assert ok.config.classes == ("walking", "falling") and ok.config.noise.dropout_scale == 2.0
    assert ok.out is None and len(ok.sha256) == 64


def test_cli_recipe_with_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    recipe = tmp_path / "small.yaml"
    recipe.write_text("out: work_dirs/synth/small\nclips_per_class: 3\nseed: 4\nvideo: false\n"
                      "subjects: 6\nclasses: [walking, falling]\n")
    # the recipe's out, relative to the working directory; --seed and --clips-per-class win
    assert main(["--recipe", str(recipe), "--seed", "5", "--clips-per-class", "1",
                 "--quiet"]) == 0
    out = tmp_path / "work_dirs" / "synth" / "small"
    assert json.loads(capsys.readouterr().out)["clips"] == 2
    gen = json.loads((out / "generator.json").read_text())
    assert gen["config"]["seed"] == 5 and gen["config"]["subjects"] == 6
    assert gen["recipe"]["name"] == "small.yaml" and len(gen["recipe"]["sha256"]) == 64
    assert not (out / "videos").exists()
    assert check_data(recipe, out / "annotations.pkl") == [
        "clips_per_class: 1, the recipe 3", "seed: 5, the recipe 4"]
    # --out wins over the recipe's
    assert main(["--recipe", str(recipe), "--out", "elsewhere", "--quiet"]) == 0
    assert (tmp_path / "elsewhere" / "annotations.pkl").is_file()
    assert check_data(recipe, tmp_path / "elsewhere" / "annotations.pkl") == []
    recipe.write_text("clips_per_class: 1\n")
    with pytest.raises(SystemExit):  # no out anywhere
        main(["--recipe", str(recipe)])
    recipe.write_text("clips_per_class: 0\n")
    with pytest.raises(SystemExit, match="clips_per_class"):
        main(["--recipe", str(recipe), "--out", "x"])


def test_cli_without_recipe_keeps_the_defaults(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path), "--clips-per-class", "1", "--no-video",
                 "--jitter-scale", "1", "2", "--quiet"]) == 0
    gen = json.loads((tmp_path / "generator.json").read_text())
    want = SynthConfig(clips_per_class=1, video=False, noise=NoiseConfig(jitter_scale=(1.0, 2.0)))
    assert gen["config"] == json.loads(json.dumps(want.to_dict()))
    assert gen["recipe"] is None


def test_training_configs_name_the_recipe_that_makes_their_data() -> None:
    named = 0
    for path in sorted(CONFIG_DIR.glob("*.yaml")):
        cfg = load_config(path)
        if cfg.data.synth_recipe is None:
            continue
        named += 1
        recipe = load_recipe(cfg.data.synth_recipe)  # relative to the repository root
        assert recipe.out is not None
        assert Path(cfg.data.ann_file) == recipe.out / "annotations.pkl", path.name
        if cfg.data.video_root:
            assert recipe.config.video and Path(cfg.data.video_root) == recipe.out / "videos"
    assert named >= 4
    assert load_config(CONFIG_DIR / "adl_bundled.yaml").data.synth_recipe == \
        "train/synth/recipes/adl_bundled.yaml"


def test_shipped_configs_and_recipes_hold_no_machine_paths() -> None:
    for path in sorted(CONFIG_DIR.glob("*.yaml")) + SHIPPED:
        text = path.read_text()
        for root in ("/work/", "/root/", "/tmp/", "/home/"):
            assert root not in text, (path.name, root)


def test_synth_recipe_key_is_checked_and_fit_says_how_to_make_the_data(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    base = {"name": "x", "data": {"ann_file": str(tmp_path / "d" / "annotations.pkl"),
                                  "synth_recipe": str(RECIPE_DIR / "adl_bundled.yaml")}}
    with pytest.raises(ConfigError, match="synth_recipe must be a train.synth recipe"):
        config_from_dict(base, ["data.synth_recipe=recipe.txt"])
    cfg = config_from_dict(base)
    with pytest.raises(DatasetError, match=r"python -m train.synth --recipe .*adl_bundled.yaml "
                                           r"--out .*d$"):
        check_synth_recipe(cfg)
    # data made with other settings: a warning that says which
    small = tmp_path / "small.yaml"
    small.write_text("clips_per_class: 1\nseed: 1\nvideo: false\nsubjects: 4\n"
                     "classes: [walking]\n")
    assert main(["--recipe", str(small), "--out", str(tmp_path / "d"), "--seed", "2",
                 "--quiet"]) == 0
    cfg = config_from_dict(base, [f"data.synth_recipe={small}"])
    with caplog.at_level(logging.WARNING):
        check_synth_recipe(cfg)
    assert "was not made by the recipe" in caplog.text and "seed: 2, the recipe 1" in caplog.text
