"""The public API, the model and the evaluation document their arguments, results and errors.

Every public function and method (no leading underscore) defined in these modules has a docstring
with ``Args:`` when it takes parameters besides self/cls, ``Returns:`` when its body returns a value
(``return <value>``), and ``Raises:`` when its body raises; a public class's ``__init__`` is
documented in the class docstring. Imported names and the methods of private classes are skipped.
"""

import ast
import inspect
import textwrap

import pytest

from infogan_tf import api, evaluation, model

MODULES = (api, evaluation, model)


def _own_nodes(fn_node):
    """The AST nodes of a function's own body, not of the functions or lambdas nested in it."""
    stack = list(fn_node.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


def _needs(fn) -> dict:
    """Which sections ``fn``'s docstring needs: {"Args:": bool, "Returns:": bool, "Raises:": bool}."""
    params = [p for p in inspect.signature(fn).parameters if p not in ("self", "cls")]
    node = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    own = list(_own_nodes(node))
    return {
        "Args:": bool(params),
        "Returns:": any(isinstance(n, ast.Return) and n.value is not None for n in own),
        "Raises:": any(isinstance(n, ast.Raise) for n in own),
    }


def _public_functions():
    """(qualified name, function, the docstring that documents it) for every checked function."""
    for module in MODULES:
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj, inspect.getdoc(obj)
            elif inspect.isclass(obj):
                yield f"{module.__name__}.{name}", None, inspect.getdoc(obj)
                for attr, member in vars(obj).items():
                    fn = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                    if not inspect.isfunction(fn) or fn.__code__.co_filename != module.__file__:
                        continue  # not a function, or one made elsewhere (dataclasses' are "<string>")
                    if attr == "__init__":
                        yield f"{module.__name__}.{name}.__init__", fn, inspect.getdoc(obj)
                    elif not attr.startswith("_"):
                        yield f"{module.__name__}.{name}.{attr}", fn, inspect.getdoc(fn)


FUNCTIONS = sorted(_public_functions(), key=lambda t: t[0])


def test_the_rule_sees_the_functions_it_is_meant_to():
    names = {name for name, _, _ in FUNCTIONS}
    assert {
        "infogan_tf.api.load",
        "infogan_tf.api.TrainedModel.sample",
        "infogan_tf.model.InfoGAN.d_step",
        "infogan_tf.model.InfoGAN.__init__",
        "infogan_tf.evaluation.match_categories",
        "infogan_tf.evaluation.evaluate_run",
    } <= names
    assert not any(
        ".linear_sum_assignment" in n or ".shape_statistics" in n or "._" in n.replace(".__init__", "") for n in names
    )
    assert _needs(evaluation.majority_purity) == {"Args:": True, "Returns:": True, "Raises:": False}
    assert _needs(model.InfoGAN.__init__) == {"Args:": True, "Returns:": False, "Raises:": False}  # raises in a callee
    assert _needs(_raises_itself) == {"Args:": True, "Returns:": True, "Raises:": True}


def _raises_itself(x):
    if x < 0:
        raise ValueError(x)
    return x


@pytest.mark.parametrize("name,fn,doc", FUNCTIONS, ids=[name for name, _, _ in FUNCTIONS])
def test_public_functions_document_args_returns_and_raises(name, fn, doc):
    assert doc, f"{name} has no docstring"
    if fn is None:
        return
    missing = [section for section, needed in _needs(fn).items() if needed and section not in doc]
    assert not missing, f"{name}'s docstring lacks {', '.join(missing)}"
