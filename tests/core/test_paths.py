"""How generated headers name a config and its output folder, whatever the current directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.core.paths import config_label, default_output_root, project_root, rerun_command


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A working tree marked by pyproject.toml, with a nested config folder."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (tmp_path / "infra" / "configs").mkdir(parents=True)
    return tmp_path


@pytest.mark.parametrize("marker", [".git", "pyproject.toml"])
def test_the_nearest_folder_with_a_marker_is_the_root(tmp_path: Path, marker: str) -> None:
    outer = tmp_path / "outer"
    (outer / "inner").mkdir(parents=True)
    if marker == ".git":
        (outer / marker).mkdir()
    else:
        (outer / marker).write_text("", encoding="utf-8")
    assert project_root(tmp_path / "outer" / "inner" / "x.yaml") == tmp_path / "outer"
    assert project_root(tmp_path / "x.yaml") is None


def test_labels_are_relative_to_the_root_from_any_directory(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tree / "infra" / "configs" / "prod.yaml"
    for cwd in (tree, tree / "infra" / "configs", tree.parent):
        monkeypatch.chdir(cwd)
        assert config_label(config) == "infra/configs/prod.yaml"
        assert default_output_root(config) == tree / "output"
        assert rerun_command(config) == "orgtrail-gen infra/configs/prod.yaml"
    monkeypatch.chdir(tree / "infra")
    assert config_label(Path("configs/prod.yaml")) == "infra/configs/prod.yaml"
    assert config_label(Path("../infra/configs/./prod.yaml")) == "infra/configs/prod.yaml"


def test_output_dir_appears_in_the_hint_only_when_not_the_default(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tree / "infra" / "configs" / "prod.yaml"
    monkeypatch.chdir(tree / "infra")
    assert rerun_command(config, Path("../output")) == "orgtrail-gen infra/configs/prod.yaml"
    assert rerun_command(config, Path("tf")) == (
        "orgtrail-gen infra/configs/prod.yaml --output-dir infra/tf"
    )
    outside = tree.parent / "elsewhere"
    assert rerun_command(config, outside) == (
        f"orgtrail-gen infra/configs/prod.yaml --output-dir {outside}"
    )


def test_a_config_outside_any_tree_is_named_by_its_file_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "a b" / "org.yaml"
    assert config_label(config) == "org.yaml"
    assert default_output_root(config) == tmp_path / "output"
    assert rerun_command(config) == "orgtrail-gen org.yaml"


def test_names_with_spaces_are_quoted_for_the_shell(tree: Path) -> None:
    config = tree / "infra" / "my configs" / "prod.yaml"
    assert rerun_command(config, tree / "build dir") == (
        "orgtrail-gen 'infra/my configs/prod.yaml' --output-dir 'build dir'"
    )
