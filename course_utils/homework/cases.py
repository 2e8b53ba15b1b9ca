"""The case runner every homework checker shares: one ✔/✘ line per case, and blocked shortcuts.

A checker builds ``(label, case)`` pairs, where ``case()`` returns None when the student's code is
right and a one-line description of what is wrong otherwise, and hands them to ``run_cases``:

* a function that still raises ``NotImplementedError`` in the first case is *not attempted yet*:
  reported without an error so a fresh student notebook runs from top to bottom, except under
  nbgrader's autograder (env ``NBGRADER_EXECUTION``), where it fails and scores no points;
* any failed case raises ``HomeworkCheckFailed`` after every case has printed its line.

``forbid`` watches the student's code while it runs (``sys.setprofile``) and records every call into
a blocked function, module or file, whatever name the student imported it under: a shortcut
through ``course_utils`` or ``torch`` for what the task asks to write fails the case that ran it.

``fit`` is how every checker trains a model itself: ``course_utils.train.train`` on a seeded CPU
generator, without a progress bar.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types
from pathlib import Path

import torch

from ..checks import format_value
from ..train import train


class HomeworkCheckFailed(AssertionError):
    """At least one check of a homework task failed (the ✘ lines above say which)."""


class ForbiddenCall(RuntimeError):
    """The student's code called something the task asks to build by hand."""


def autograding() -> bool:
    """True while nbgrader executes the notebook (``nbgrader autograde`` or ``validate``)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def run_cases(task: str, cases) -> bool | None:
    """Run ``(label, case)`` pairs; True if all pass, None if not attempted yet, else raise."""
    total = failed = 0
    for label, case in cases:
        total += 1
        try:
            problem = case()
        except NotImplementedError:
            if total == 1:
                message = (f"{task}: not attempted yet — replace `raise NotImplementedError()` with your "
                           f"code, then run this cell again")
                if autograding():
                    raise HomeworkCheckFailed(message) from None
                print(f"○ {message}")
                return None
            problem = "your code raised NotImplementedError"
        except ForbiddenCall as e:
            problem = str(e)
        except HomeworkCheckFailed:
            raise
        except Exception as e:  # the student's code failed: say how, without a traceback wall
            first = (str(e).strip().splitlines() or [""])[0][:200]
            problem = f"your code raised {type(e).__name__}: {first}"
        label = label() if callable(label) else label
        if problem:
            failed += 1
            print(f"✘ {label}: {problem}")
        else:
            print(f"✔ {label}")
    if failed:
        raise HomeworkCheckFailed(f"{task}: {failed} of {total} checks failed (see the ✘ lines above)")
    return True


def fit(model, loss_fn, x, *, epochs: int, lr: float, batch_size: int, seed: int):
    """Train ``model`` with ``loss_fn(model, batch) -> loss`` (Adam, batches shuffled by a CPU generator seeded
    with ``seed``) and return it in eval mode: the checkers' own training."""
    train(model, lambda m, xb: (loss_fn(m, xb), {}), x, epochs=epochs, lr=lr, batch_size=batch_size,
          progress=False, generator=torch.Generator().manual_seed(seed))
    return model.eval()


def compare(got, expected: torch.Tensor, rtol=1e-4, atol=1e-6) -> str | None:
    """None if the tensor ``got`` matches ``expected`` (shape and values), else a one-line description."""
    if not isinstance(got, torch.Tensor):
        return f"expected a tensor, got {type(got).__name__}"
    got = got.detach().cpu().to(expected.dtype)
    if got.numel() == 1 and expected.numel() == 1:
        got = got.reshape(expected.shape)
    if got.shape != expected.shape:
        return f"expected shape {tuple(expected.shape)}, got {tuple(got.shape)}"
    if not torch.isfinite(got).all():
        return "the result contains NaN or infinite values"
    excess = (got - expected).abs() - (atol + rtol * expected.abs())
    if (excess <= 0).all():
        return None
    if expected.numel() == 1:
        return f"expected {format_value(expected.item())}, got {format_value(got.item())}"
    at = tuple(int(i) for i in torch.unravel_index(excess.argmax(), expected.shape))
    wrong = int((excess > 0).sum())
    return (f"{wrong} of {expected.numel()} entries differ, e.g. at {at}: expected "
            f"{format_value(expected[at].item())}, got {format_value(got[at].item())}")


def _code_objects(code):
    """``code`` and the code of every function defined inside it."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _watch_list(targets):
    """Split ``targets`` into code objects, builtin functions and file prefixes to watch."""
    codes, builtins, files = {}, {}, []
    for target, name in targets:
        if isinstance(target, types.ModuleType):
            path = Path(target.__file__)
            files.append((str(path.parent) + os.sep if path.name == "__init__.py" else str(path), name))
        elif isinstance(target, type):
            for attr in ("__init__", "forward"):
                fn = target.__dict__.get(attr)
                if fn is not None and hasattr(fn, "__code__"):
                    codes[fn.__code__] = name
        elif hasattr(target, "__code__"):  # the function and the closures it builds (a factory's loss_fn)
            codes.update(dict.fromkeys(_code_objects(target.__code__), name))
        else:
            builtins[id(target)] = name
    return codes, builtins, files


@contextlib.contextmanager
def forbid(hint: str, targets):
    """Raise ``ForbiddenCall`` at the end of the block if the code inside called any of ``targets``.

    ``targets`` are ``(callable_or_class_or_module, name)`` pairs; a module blocks every function
    defined in its file (or package), a function blocks the closures it returns too. Calls are seen by ``sys.setprofile``, so an alias such as
    ``from torch.autograd.functional import jacobian as j`` is caught too. Use it around the
    student's code only, never around the checker's own references.
    """
    codes, builtins, files = _watch_list(targets)
    seen: list[str] = []

    def hook(frame, event, arg):
        if seen:
            return
        if event == "call":
            code = frame.f_code
            name = codes.get(code)
            if name is None and files:
                name = next((n for f, n in files if code.co_filename.startswith(f)), None)
            if name is not None:
                seen.append(name)
        elif event == "c_call" and id(arg) in builtins:
            seen.append(builtins[id(arg)])

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(previous)
    if seen:
        raise ForbiddenCall(f"your code calls {seen[0]}, which this task asks you to write yourself; {hint}")
