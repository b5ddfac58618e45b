"""Load a keypoint pickle (PYSKL annotations) without letting the file run code or forge
memory.

A keypoint file can be named from the dashboard or over MQTT (``source/set``), so the
app must never trust its contents. PYSKL files hold dicts, lists, strings, numbers and
numpy arrays; numpy arrays are pickled as calls to a few numpy functions plus a BUILD
step that hands the array (or its dtype) a state tuple. Allowing those names is not
enough: a forged dtype state can clear numpy's object-pickling flags and make raw bytes
read as object pointers (a crash at best). So this unpickler (the pure-Python one, whose
BUILD step can be checked):

- resolves only the names a PYSKL file needs, each to a checked stand-in: dtypes and
  arrays of plain kinds only (bool, integers, floats, complex, fixed-width strings;
  never objects, records or sub-arrays);
- lets BUILD restore a dtype only with the state numpy itself writes for it, and an
  array only from raw bytes of a plain dtype;
- refuses everything else with ``UnsafePickleError`` naming what the file asked for.
"""

from __future__ import annotations

import codecs
import collections
import pickle
from typing import Any, BinaryIO, ClassVar

import numpy as np

__all__ = ["UnsafePickleError", "load_arrays_pickle"]

# bool, signed and unsigned integers, floats, complex, unicode and byte strings
_PLAIN_KINDS = frozenset("biufcUS")
_RECONSTRUCT: Any = np.zeros(1).__reduce__()[0]  # numpy's own array reconstructor
_SCALAR: Any = np.float32(0).__reduce__()[0]  # and scalar constructor


class UnsafePickleError(pickle.UnpicklingError):
    """The file asks for something a keypoint file never needs."""


class _NdarrayClass:
    """Stands in for ``numpy.ndarray`` as the class argument of ``_reconstruct`` (the only
    place a PYSKL file names it): it cannot be instantiated by the pickle itself."""


_NDARRAY = _NdarrayClass()


def _plain(dt: Any) -> np.dtype[Any]:
    if not isinstance(dt, np.dtype) or dt.kind not in _PLAIN_KINDS or dt.hasobject or (
            dt.fields is not None or dt.subdtype is not None):
        raise UnsafePickleError(f"it holds an array of dtype {dt!r}; only plain numbers "
                                "and strings are loaded")
    return dt


def _dtype(descr: Any, align: Any = False, copy: Any = False) -> np.dtype[Any]:
    if not isinstance(descr, str):
        raise UnsafePickleError(f"it describes a dtype as {type(descr).__name__}")
    # always a fresh copy: the BUILD step below then never touches numpy's own dtypes
    return _plain(np.dtype(descr, bool(align), True))


def _reconstruct(cls: Any, shape: Any, dtype_char: Any) -> np.ndarray[Any, Any]:
    if cls is not _NDARRAY or not isinstance(dtype_char, bytes) or len(dtype_char) > 8:
        raise UnsafePickleError("it reconstructs something other than a plain numpy array")
    return _RECONSTRUCT(np.ndarray, (0,), dtype_char)


def _scalar(dtype: Any, data: Any = None) -> Any:
    dt = _plain(dtype)
    if not isinstance(data, bytes) or len(data) != dt.itemsize:
        raise UnsafePickleError("it holds a numpy scalar whose bytes do not fit its dtype")
    return _SCALAR(dt, data)


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray[Any, Any]:
    dt = _plain(dtype)
    if not isinstance(buf, (bytes, bytearray, memoryview, pickle.PickleBuffer)):
        raise UnsafePickleError("it builds an array from something other than bytes")
    if order not in ("C", "F"):
        raise UnsafePickleError(f"it asks for array order {order!r}")
    return np.frombuffer(memoryview(buf), dtype=dt).reshape(shape, order=order)


def _encode(text: Any, encoding: Any = "utf-8") -> bytes:
    # protocol 2 writes bytes as _codecs.encode(str, "latin1")
    if not isinstance(text, str) or codecs.lookup(str(encoding)).name != "iso8859-1":
        raise UnsafePickleError(f"it encodes with {encoding!r}")
    return text.encode("latin1")


_NUMPY_MODULES = ("numpy", "numpy.core.multiarray", "numpy._core.multiarray",
                  "numpy.core.numeric", "numpy._core.numeric")
_NAMES: dict[tuple[str, str], Any] = {
    **{(m, "dtype"): _dtype for m in _NUMPY_MODULES},
    **{(m, "ndarray"): _NDARRAY for m in _NUMPY_MODULES},
    **{(m, "_reconstruct"): _reconstruct for m in _NUMPY_MODULES},
    **{(m, "scalar"): _scalar for m in _NUMPY_MODULES},
    **{(m, "_frombuffer"): _frombuffer for m in _NUMPY_MODULES},
    ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice, ("builtins", "complex"): complex,
    ("__builtin__", "set"): set, ("__builtin__", "frozenset"): frozenset,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("_codecs", "encode"): _encode,
}


class _ArraysOnly(pickle._Unpickler):  # type: ignore[name-defined,misc]
    def find_class(self, module: str, name: str) -> Any:
        found = _NAMES.get((module, name))
        if found is None:
            raise UnsafePickleError(
                f"it names {module}.{name}, which a keypoint file never needs (only dicts, "
                "lists, numbers, strings and numpy arrays are loaded: other objects could "
                "run code)")
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("it refers to objects outside the file")

    def load_build(self) -> None:
        state, inst = self.stack[-1], self.stack[-2]  # type: ignore[attr-defined]
        if isinstance(inst, np.dtype):
            # only the state numpy writes for this very dtype (its flags included)
            if state != inst.__reduce__()[2]:
                raise UnsafePickleError(f"it alters the inner state of dtype {inst!r}")
        elif type(inst) is np.ndarray:
            # (version, shape, dtype, is_fortran, raw bytes); a list instead of bytes is
            # the object-array form
            if not (isinstance(state, tuple) and len(state) == 5
                    and isinstance(state[4], (bytes, bytearray))):
                raise UnsafePickleError("it fills an array with something other than bytes")
            _plain(state[2])
        else:
            raise UnsafePickleError(f"it sets the state of a {type(inst).__name__}")
        super().load_build()  # type: ignore[misc]

    dispatch: ClassVar[dict[int, Any]] = dict(pickle._Unpickler.dispatch)  # type: ignore[attr-defined]
    dispatch[pickle.BUILD[0]] = load_build


def load_arrays_pickle(f: BinaryIO) -> Any:
    """What the pickle in ``f`` holds, if it is only dicts, lists, tuples, sets, numbers,
    strings, bytes and numpy arrays or scalars of plain dtypes. ``UnsafePickleError``
    for anything else, ``pickle.UnpicklingError`` (and the like) for a broken file."""
    return _ArraysOnly(f).load()
