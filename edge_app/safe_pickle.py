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
- lets BUILD restore a dtype only with the state numpy itself writes for it, and fill an
  array once, only one it just reconstructed, only from raw bytes of a plain dtype (a
  second fill frees memory a view may still point into);
- refuses out-of-band buffers (protocol 5's NEXT_BUFFER / READONLY_BUFFER: a plain file
  never has them), extension codes, items set or appended to anything but a dict, list
  or set, tuples nested more than ``MAX_TUPLE_DEPTH`` deep (hashing them recurses in C),
  and dtypes of itemsize 0 (2**62 items in no bytes);
- fills each array from a private copy of its bytes (numpy would otherwise write
  through to a bytes object the file may share);
- checks the result: plain data only, no dtype, view, function or stand-in left in it;
- refuses everything else with ``UnsafePickleError`` naming what the file asked for.
"""

from __future__ import annotations

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
    # itemsize 0 ("S0", "U"): an array of 2**62 empty items fits in no bytes at all
    if not isinstance(dt, np.dtype) or dt.kind not in _PLAIN_KINDS or dt.hasobject or (
            dt.fields is not None or dt.subdtype is not None or dt.itemsize == 0):
        raise UnsafePickleError(f"it holds an array of dtype {dt!r}; only plain numbers "
                                "and strings are loaded")
    return dt


def _dtype(descr: Any, align: Any = False, copy: Any = False) -> np.dtype[Any]:
    if not isinstance(descr, str):
        raise UnsafePickleError(f"it describes a dtype as {type(descr).__name__}")
    # always a fresh copy: the BUILD step below then never touches numpy's own dtypes
    return _plain(np.dtype(descr, bool(align), True))


def _reconstruct(cls: Any, shape: Any, dtype_char: Any) -> np.ndarray[Any, Any]:
    if cls is not _NDARRAY or dtype_char != b"b":  # all numpy itself writes
        raise UnsafePickleError("it reconstructs something other than a plain numpy array")
    return _RECONSTRUCT(np.ndarray, (0,), dtype_char)


def _scalar(dtype: Any, data: Any = None) -> Any:
    dt = _plain(dtype)
    if not isinstance(data, bytes) or len(data) != dt.itemsize:
        raise UnsafePickleError("it holds a numpy scalar whose bytes do not fit its dtype")
    return _SCALAR(dt, data)


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray[Any, Any]:
    dt = _plain(dtype)
    if type(buf) not in (bytes, bytearray):  # never a view of another object's memory
        raise UnsafePickleError("it builds an array from something other than bytes")
    if order not in ("C", "F"):
        raise UnsafePickleError(f"it asks for array order {order!r}")
    return np.frombuffer(buf, dtype=dt).reshape(shape, order=order)


_LATIN1 = frozenset({"latin1", "latin-1", "latin_1", "iso-8859-1", "iso8859-1", "l1"})


def _encode(text: Any, encoding: Any = "utf-8") -> bytes:
    # protocol 2 writes bytes as _codecs.encode(str, "latin1"); the name is compared, never
    # looked up (codecs caches every name it is asked for, forever)
    if not isinstance(text, str) or not isinstance(encoding, str) or (
            encoding.lower() not in _LATIN1):
        raise UnsafePickleError(f"it encodes with {str(encoding)[:40]!r}")
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
    ("builtins", "complex"): complex,
    ("__builtin__", "set"): set, ("__builtin__", "frozenset"): frozenset,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("_codecs", "encode"): _encode,
}


_MAPPINGS = (dict, collections.OrderedDict)
# what a loaded keypoint file may hold (numpy arrays and scalars of plain dtypes besides)
_PLAIN_TYPES = (dict, collections.OrderedDict, list, tuple, set, frozenset, str, bytes,
                bytearray, int, float, complex, bool, type(None))
# tuples nested deeper than this are refused: hashing one (as a dict key or set item)
# recurses in C without a guard, and 150,000 levels overflow the stack
MAX_TUPLE_DEPTH = 32


class _ArraysOnly(pickle._Unpickler):  # type: ignore[name-defined,misc]
    def __init__(self, f: BinaryIO) -> None:
        super().__init__(f)
        # arrays _reconstruct made and BUILD has not filled yet (BUILD fills each once:
        # a second BUILD would free memory other objects still point into)
        self._unfilled: dict[int, np.ndarray[Any, Any]] = {}
        # depth of the tuples made so far (the tuple kept alive with it, so ids stay
        # unique): a tuple holding tuples is one deeper than the deepest of them
        self._tuple_depth: dict[int, tuple[tuple[Any, ...], int]] = {}

    def find_class(self, module: str, name: str) -> Any:
        found = _NAMES.get((module, name))
        if found is None:
            raise UnsafePickleError(
                f"it names {module}.{name}, which a keypoint file never needs (only dicts, "
                "lists, numbers, strings and numpy arrays are loaded: other objects could "
                "run code)")
        return self._new_array if found is _reconstruct else found

    def _new_array(self, cls: Any, shape: Any, dtype_char: Any) -> np.ndarray[Any, Any]:
        arr = _reconstruct(cls, shape, dtype_char)
        self._unfilled[id(arr)] = arr
        return arr

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("it refers to objects outside the file")

    def load_build(self) -> None:
        state, inst = self.stack[-1], self.stack[-2]  # type: ignore[attr-defined]
        if isinstance(inst, np.dtype):
            # only the state numpy writes for this very dtype (its flags included)
            if state != inst.__reduce__()[2]:
                raise UnsafePickleError(f"it alters the inner state of dtype {inst!r}")
        elif type(inst) is np.ndarray:
            if self._unfilled.pop(id(inst), None) is not inst:
                raise UnsafePickleError("it sets the contents of an array twice, or of one "
                                        "it did not reconstruct")
            # (version, shape, dtype, is_fortran, raw bytes); a list instead of bytes is
            # the object-array form
            if not (isinstance(state, tuple) and len(state) == 5
                    and isinstance(state[4], (bytes, bytearray))):
                raise UnsafePickleError("it fills an array with something other than bytes")
            _plain(state[2])
            # numpy keeps a large fill's bytes object as the array's memory, writable: a
            # private copy, so that no other object of the file shares (or sees) it
            self.stack[-1] = (*state[:4], bytes(bytearray(state[4])))  # type: ignore[attr-defined]
        else:
            raise UnsafePickleError(f"it sets the state of a {type(inst).__name__}")
        super().load_build()  # type: ignore[misc]

    def _tuple_made(self) -> None:
        made = self.stack[-1]  # type: ignore[attr-defined]
        depth = 1 + max((self._tuple_depth[id(e)][1] for e in made
                         if type(e) is tuple and id(e) in self._tuple_depth), default=0)
        if depth > MAX_TUPLE_DEPTH:
            raise UnsafePickleError(f"it nests tuples more than {MAX_TUPLE_DEPTH} deep")
        self._tuple_depth[id(made)] = (made, depth)

    def load_tuple(self) -> None:
        super().load_tuple()  # type: ignore[misc]
        self._tuple_made()

    def load_tuple1(self) -> None:
        super().load_tuple1()  # type: ignore[misc]
        self._tuple_made()

    def load_tuple2(self) -> None:
        super().load_tuple2()  # type: ignore[misc]
        self._tuple_made()

    def load_tuple3(self) -> None:
        super().load_tuple3()  # type: ignore[misc]
        self._tuple_made()

    def _no_extensions(self) -> None:
        raise UnsafePickleError("it names objects by extension code")

    def _no_buffers(self) -> None:
        # out-of-band buffers (protocol 5): a plain file never has them, and a read-only
        # view of an array outlives the array's next state
        raise UnsafePickleError("it uses out-of-band buffers")

    def _target(self, on_stack: Any, kinds: tuple[type, ...], what: str) -> None:
        if type(on_stack) not in kinds:
            raise UnsafePickleError(f"it {what} a {type(on_stack).__name__}")

    def load_setitem(self) -> None:
        self._target(self.stack[-3], _MAPPINGS, "sets items of")  # type: ignore[attr-defined]
        super().load_setitem()  # type: ignore[misc]

    def load_setitems(self) -> None:
        self._target(self.metastack[-1][-1], _MAPPINGS,  # type: ignore[attr-defined]
                     "sets items of")
        super().load_setitems()  # type: ignore[misc]

    def load_append(self) -> None:
        self._target(self.stack[-2], (list,), "appends to")  # type: ignore[attr-defined]
        super().load_append()  # type: ignore[misc]

    def load_appends(self) -> None:
        self._target(self.metastack[-1][-1], (list,), "appends to")  # type: ignore[attr-defined]
        super().load_appends()  # type: ignore[misc]

    def load_additems(self) -> None:
        self._target(self.metastack[-1][-1], (set,), "adds items to")  # type: ignore[attr-defined]
        super().load_additems()  # type: ignore[misc]

    dispatch: ClassVar[dict[int, Any]] = dict(pickle._Unpickler.dispatch)  # type: ignore[attr-defined]
    dispatch[pickle.BUILD[0]] = load_build
    dispatch[pickle.NEXT_BUFFER[0]] = _no_buffers
    dispatch[pickle.READONLY_BUFFER[0]] = _no_buffers
    dispatch[pickle.SETITEM[0]] = load_setitem
    dispatch[pickle.SETITEMS[0]] = load_setitems
    dispatch[pickle.APPEND[0]] = load_append
    dispatch[pickle.APPENDS[0]] = load_appends
    dispatch[pickle.ADDITEMS[0]] = load_additems
    dispatch[pickle.TUPLE[0]] = load_tuple
    dispatch[pickle.TUPLE1[0]] = load_tuple1
    dispatch[pickle.TUPLE2[0]] = load_tuple2
    dispatch[pickle.TUPLE3[0]] = load_tuple3
    for _ext in (pickle.EXT1, pickle.EXT2, pickle.EXT4):
        dispatch[_ext[0]] = _no_extensions


def _check_plain(value: Any) -> None:
    """Every object reachable from ``value`` is plain data (no dtype, view, function or
    class left lying in the result); iterative, so deep nesting is no recursion."""
    todo, seen = [value], set()
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if type(obj) is np.ndarray:
            _plain(obj.dtype)
            if obj.base is not None and type(obj.base) not in (bytes, bytearray, np.ndarray):
                raise UnsafePickleError("it holds an array over another object's memory")
        elif isinstance(obj, np.generic):
            _plain(obj.dtype)
        elif type(obj) not in _PLAIN_TYPES:
            raise UnsafePickleError(f"it holds a {type(obj).__name__}")
        elif isinstance(obj, _MAPPINGS):
            todo.extend(obj.keys())
            todo.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            todo.extend(obj)


def load_arrays_pickle(f: BinaryIO) -> Any:
    """What the pickle in ``f`` holds, if it is only dicts, lists, tuples, sets, numbers,
    strings, bytes and numpy arrays or scalars of plain dtypes. ``UnsafePickleError``
    for anything else, ``pickle.UnpicklingError`` (and the like) for a broken file."""
    value = _ArraysOnly(f).load()
    _check_plain(value)
    return value
