"""The worker groups of tests/conftest.py name tests that exist: a renamed test or file would
otherwise leave its group silently (and wait on the digit classifier's lock on another worker)."""

import ast
import os

from conftest import CLASSIFIER_TESTS, REPO, SHARED_FIXTURE_FILES

TESTS = os.path.join(REPO, "tests")


def _test_functions(filename):
    with open(os.path.join(TESTS, filename)) as f:
        tree = ast.parse(f.read())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_grouped_test_and_file_exists():
    for entry in CLASSIFIER_TESTS:
        filename, _, test = entry.partition("::")
        assert os.path.isfile(os.path.join(TESTS, filename)), entry
        if test:
            assert test.split("[")[0] in _test_functions(filename), entry
    for filename in SHARED_FIXTURE_FILES:
        assert os.path.isfile(os.path.join(TESTS, filename)), filename


def test_a_grouped_parametrised_case_exists():
    # figure smoke's case is its figure's name: the figure must still be in the registry.
    from infogan_tf import configs

    figures = configs.Registry().figures
    for entry in CLASSIFIER_TESTS:
        if entry.startswith("test_figure_smoke.py::") and "[" in entry:
            assert entry.split("[")[1].rstrip("]") in figures, entry
