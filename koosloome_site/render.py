"""Render planned pages with Jinja: strict, autoescaped, one template per page kind."""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import traceback
from collections.abc import MutableMapping
from pathlib import Path
from types import CodeType
from typing import Any, cast

import jinja2
import markupsafe

from . import urls
from .errors import BuildError
from .model import SiteConfig
from .pages import Page
from .templatecache import TEMPLATE_CACHE

ASSETS = "assets"  # folder inside templates/ copied to the site root as is


def load_assets(templates: Path) -> dict[str, bytes]:
    folder = templates / ASSETS
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def environment(
    templates: Path, config: SiteConfig, assets: dict[str, bytes]
) -> jinja2.Environment:
    env = _bare_environment(templates)
    base_path = "/" + config.base_url.split("://", 1)[1].partition("/")[2]
    # A content hash in asset URLs lets browsers cache them forever and still see changes.
    versions = {name: hashlib.sha256(data).hexdigest()[:10] for name, data in assets.items()}

    def url(path: str) -> str:
        return base_path + path

    def asset_url(name: str) -> str:
        return f"{base_path}{name}?v={versions[name]}"

    @functools.lru_cache(maxsize=CARDS_KEPT)
    def card(programme_card: object, level: int) -> markupsafe.Markup:
        """A programme's card (_card.html), rendered once: the home page and every topic of
        the programme list the same card (1,000 programmes: 13,000 cards, 4% of a build)."""
        page = env.get_template("_card.html").render(card=programme_card, level=level)
        return markupsafe.Markup(page)

    env.globals.update(
        site=config,
        url=url,
        asset_url=asset_url,
        card=card,
        urls=urls,
    )
    return env


# Cards kept rendered by one environment (the preview keeps it for hours, and the cards of a
# day are not those of the next: their states change): a few MB at most.
CARDS_KEPT = 1 << 14


def compile_templates(templates: Path) -> None:
    """Compile every page template into the bytecode cache, which the environments made
    afterwards read instead of compiling again (a big build does this while its other core
    finishes loading the content, so that both processes that render have them: 40 ms)."""
    env = _bare_environment(templates)
    for name in env.list_templates(filter_func=lambda name: name.endswith(".html")):
        with contextlib.suppress(jinja2.TemplateError):  # reported with the page using it
            env.get_template(name)


def _bare_environment(templates: Path) -> jinja2.Environment:
    return _Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=TEMPLATE_CACHE,  # compiled once, kept for later builds (templatecache.py)
        # One environment per build: a template is read once, not stat'ed again for each of
        # a thousand pages (and a build never mixes two versions of one template).
        auto_reload=False,
    )


def _escaped(value: object) -> str:
    """`{{ value }}` as the page shows it: Jinja's `escape`, but plain text rather than a new
    Markup object for each value. Only what a template writes out goes through this, and
    Jinja joins that into text (or into the Markup of a block or macro, whose parts are
    escaped already), so the page is byte for byte the same. MarkupSafe 3 makes every
    escaped value a Markup through a Python `__new__`, three quarters of the cost of escaping
    a title, and 1,000 programmes' pages write out 300,000 values (rendering took 9.5% fewer
    instructions, counted by callgrind)."""
    if type(value) is str:
        return _escape_text(value)
    if type(value) is markupsafe.Markup:  # safe already (its __html__ is itself)
        return value
    return markupsafe.escape(value)


# MarkupSafe's C escaping of a str (the function its `escape` calls).
_escape_text = getattr(markupsafe, "_escape_inner", lambda text: str(markupsafe.escape(text)))


class _Template(jinja2.Template):
    @classmethod
    def from_code(cls, *args: Any, **kwargs: Any) -> Any:
        template = super().from_code(*args, **kwargs)
        # The name every `{{ }}` of the compiled template calls (jinja2/compiler.py,
        # `_output_child_pre`: nothing else in the code Jinja makes uses it); the module's
        # namespace is the globals of its render functions, macros and blocks.
        namespace = template.root_render_func.__globals__
        namespace["escape"] = _escaped
        # For the calls `_Inlined` makes directly: functions that take no context.
        namespace[_BUILTIN] = type(len)
        namespace[_ITEM] = _item_or_undefined
        namespace[_PLAIN_CALLS] = frozenset(
            value
            for value in template.environment.globals.values()
            if callable(value)
            and not isinstance(value, type)
            and not hasattr(value, "jinja_pass_arg")
        )
        return template


class _Environment(jinja2.Environment):
    template_class = _Template
    # Part of the compiled templates' cache key (templatecache.py): change it with the code
    # that `_compile` makes.
    code_form = "yields joined, attributes and calls inlined, 3"

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals: the environment's very dict, when the template has none of
        its own (none of ours has). Jinja's ChainMap over them is copied into every render's
        context through Python's ChainMap, which raises and catches a KeyError for each of
        the twenty globals (40,000 at 1,000 programmes); a dict is copied in C."""
        return self.globals if not d else super().make_globals(d)

    def _compile(self, source: str, filename: str) -> CodeType:
        module = ast.parse(source)
        module.body = _joined(module.body)
        module = ast.fix_missing_locations(_Inlined().visit(module))
        return compile(module, filename, "exec")


# Names the inlined code uses (none of Jinja's begins with `_inlined_`).
_OBJECT, _VALUE, _FUNCTION = "_inlined_object", "_inlined_value", "_inlined_function"
_BUILTIN, _PLAIN_CALLS, _ITEM = "_inlined_builtin", "_inlined_plain_calls", "_inlined_item"
_JINJA_CALL_ONLY = ("_loop_vars", "_block_vars")  # what Context.call takes, not the callee


class _Inlined(ast.NodeTransformer):
    """Jinja's code reads every `a.b` through `environment.getattr(a, "b")` and makes every
    call through `context.call(f, ...)`: a Python function between the page and each of its
    half a thousand attributes, and one that looks for context-taking decorations on each of
    its fifty calls. Here the usual case is done in place: the attribute by the built-in
    `getattr` (Jinja's when it is missing: an item then, or Undefined), and a call to a
    built-in or to a global function of the environment that takes no context directly
    (other calls through Jinja's, as before). Each expression is still evaluated once, in
    the same order."""

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if _is_method(node.func, "environment", "getattr") and _attribute_name(node):
            obj, name = node.args
            found = ast.NamedExpr(
                _name(_VALUE, ast.Store()),
                _call(
                    "getattr",
                    ast.NamedExpr(_name(_OBJECT, ast.Store()), obj),
                    name,
                    _name("missing"),
                ),
            )
            return ast.IfExp(
                test=ast.Compare(found, [ast.IsNot()], [_name("missing")]),
                body=_name(_VALUE),
                orelse=ast.Call(_name(_ITEM), [_name("environment"), _name(_OBJECT), name], []),
            )
        if _is_method(node.func, "context", "call") and node.args:
            function = ast.NamedExpr(_name(_FUNCTION, ast.Store()), node.args[0])
            plain = ast.BoolOp(
                ast.Or(),
                [
                    ast.Compare(_call("type", function), [ast.Is()], [_name(_BUILTIN)]),
                    ast.Compare(_name(_FUNCTION), [ast.In()], [_name(_PLAIN_CALLS)]),
                ],
            )
            own = [k for k in node.keywords if k.arg not in _JINJA_CALL_ONLY]
            direct = ast.Call(_name(_FUNCTION), node.args[1:], own)
            through_jinja = ast.Call(node.func, [_name(_FUNCTION), *node.args[1:]], node.keywords)
            return ast.IfExp(test=plain, body=direct, orelse=through_jinja)
        return node


def _item_or_undefined(environment: jinja2.Environment, obj: Any, name: str) -> Any:
    """The rest of Jinja's `Environment.getattr` once `obj` has no attribute `name`: its item
    `name` (a dict's, read by dot), else Undefined. (Jinja's own would look for the attribute
    again, raising and catching an AttributeError.)"""
    try:
        return obj[name]
    except (TypeError, LookupError, AttributeError):
        return environment.undefined(obj=obj, name=name)


def _is_method(func: ast.expr, owner: str, name: str) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr == name
        and isinstance(func.value, ast.Name)
        and func.value.id == owner
    )


def _attribute_name(node: ast.Call) -> bool:
    """`environment.getattr(x, "name")`, as Jinja writes `x.name`."""
    return (
        len(node.args) == 2
        and not node.keywords
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    )


def _name(identifier: str, context: ast.expr_context | None = None) -> ast.Name:
    return ast.Name(identifier, context or ast.Load())


def _call(function: str, *args: ast.expr) -> ast.Call:
    return ast.Call(_name(function), list(args), [])


def _joined(statements: list[ast.stmt]) -> list[ast.stmt]:
    """Jinja's code yields each piece of a page on its own: every text between two tags and
    every `{{ }}`, a thousand per programme page, each passed up through the generator of
    the block and that of the page. Here each run of consecutive `yield`s becomes one
    `yield f"..."` of the same pieces in the same order (the page is joined from them
    anyway; rendering 1,000 programme pages: 10,777M -> 10,543M instructions). An
    expression keeps its own line, for the template line of an error."""
    out: list[ast.stmt] = []
    run: list[ast.Expr] = []

    def close_run() -> None:
        if len(run) > 1:
            pieces = ast.JoinedStr([_piece(cast(ast.Yield, s.value)) for s in run])
            joined = ast.copy_location(ast.Expr(ast.Yield(pieces)), run[0])
            out.append(ast.fix_missing_locations(joined))
        else:
            out.extend(run)
        run.clear()

    for statement in statements:
        if _yields_text(statement):
            run.append(cast(ast.Expr, statement))
            continue
        close_run()
        for name in ("body", "orelse", "finalbody"):  # functions, loops, conditions, try
            inner = getattr(statement, name, None)
            if inner:
                setattr(statement, name, _joined(inner))
        for handler in getattr(statement, "handlers", ()):
            handler.body = _joined(handler.body)
        out.append(statement)
    close_run()
    return out


def _yields_text(statement: ast.stmt) -> bool:
    """`yield X` of text: a string, or an expression (Jinja's are escaped text)."""
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Yield)):
        return False
    value = statement.value.value
    return value is not None and (not isinstance(value, ast.Constant) or type(value.value) is str)


def _piece(yielded: ast.Yield) -> ast.expr:
    value = yielded.value
    assert value is not None
    if isinstance(value, ast.Constant):
        return value
    return ast.copy_location(ast.FormattedValue(value, conversion=-1), value)


def render(page: Page, env: jinja2.Environment) -> dict[str, bytes]:
    """A page through its template: {output file: bytes}."""
    target = urls.output_file(page.path)
    try:
        html = env.get_template(page.template).render(page=page, **page.full_context())
    except jinja2.TemplateSyntaxError as error:
        raise BuildError(f"{error.filename}:{error.lineno}: mallivea: {error.message}") from error
    except jinja2.UndefinedError as error:
        raise BuildError(
            f"{_template_frame(error, page.template)}: lehel /{page.path}: {error}"
        ) from error
    return {target: html.encode("utf-8")}


def _template_frame(error: Exception, fallback: str) -> str:
    """`templates/x.html:12`: Jinja compiles templates to Python whose tracebacks keep the
    template's file name and line, so the innermost such frame is where the bug is."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.endswith(".html")
    ]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else fallback
