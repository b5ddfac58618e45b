"""Keypoint pickles are loaded without letting the file run code or forge memory
(a keypoint file can be named from the dashboard or over MQTT)."""

from __future__ import annotations

import collections
import io
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge_app.safe_pickle import UnsafePickleError, load_arrays_pickle

ROOT = Path(__file__).resolve().parents[2]


def _load(data: bytes) -> object:
    return load_arrays_pickle(io.BytesIO(data))


def forged_object_array(pointer: int) -> bytes:
    """A pickle naming only what PYSKL files name (numpy's _reconstruct, ndarray, dtype)
    that builds dtype('O8') with its flags cleared, so that the 8 raw bytes after it are
    read as an object pointer. With a plain allow-list of names this loads, and reading
    the array dereferences ``pointer`` (a crash at best)."""
    mod = b"numpy._core.multiarray" if hasattr(np, "_core") else b"numpy.core.multiarray"
    return b"".join([
        b"\x80\x02",
        b"c" + mod + b"\n_reconstruct\n", b"cnumpy\nndarray\n",
        b"K\x00\x85", b"C\x01b", b"\x87R",                  # _reconstruct(ndarray, (0,), b'b')
        b"(K\x01K\x01\x85",                                # (1, (1,), ...
        b"cnumpy\ndtype\n", b"X\x02\x00\x00\x00O8\x89\x88\x87R",  # dtype('O8', False, True)
        b"(K\x03X\x01\x00\x00\x00|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb",  # flags 0
        b"\x89", b"C\x08" + struct.pack("<Q", pointer),    # False, 8 raw bytes
        b"tb.",                                            # ...) BUILD
    ])


def test_a_forged_dtype_state_is_refused() -> None:
    with pytest.raises(UnsafePickleError, match="dtype"):
        _load(forged_object_array(0x4141414141414141))


def test_the_forged_file_does_not_crash_the_app_it_is_named_to(tmp_path: Path) -> None:
    """End to end, in a process of its own (the old loader died with SIGSEGV): the keypoint
    source refuses the file with one clear error."""
    arr = forged_object_array(0x4141414141414141)[2:-1]  # without PROTO and STOP
    path = tmp_path / "evil.pkl"
    path.write_bytes(b"\x80\x02}X\x0b\x00\x00\x00annotations]}X\x08\x00\x00\x00keypoint"
                     + arr + b"sas.")
    code = ("import sys\nfrom edge_app.sources import KeypointReplaySource, SourceError, "
            "parse_source\ntry:\n    KeypointReplaySource(parse_source(sys.argv[1]), "
            "realtime=False)\nexcept SourceError as exc:\n    print('refused:', exc)\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "refused:" in done.stdout and "is refused" in done.stdout


_MOD = b"numpy._core.multiarray" if hasattr(np, "_core") else b"numpy.core.multiarray"
# an empty array as numpy pickles it (memo 0), then its state: (1, (1,), uint8, False, b"Z")
_ARRAY = (b"c" + _MOD + b"\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87Rq\x00")
_STATE = b"(K\x01K\x01\x85cnumpy\ndtype\nX\x02\x00\x00\x00u1\x89\x88\x87R\x89C\x01Zt"


@pytest.mark.parametrize(("data", "why"), [
    # a read-only view of an array whose memory a second BUILD then frees (a use after
    # free: the view read freed memory, or crashed)
    (b"\x80\x05C\x03abc\x98.", "out-of-band buffers"),
    (b"\x80\x02" + _ARRAY + _STATE + b"b" + b"h\x00" + _STATE + b"b.", "twice"),
    (b"\x80\x02" + _ARRAY + _STATE + b"bh\x00K\x00K\x05s.", "sets items of a ndarray"),
    (b"\x80\x02cnumpy\nndarray\n.", "holds a _NdarrayClass"),  # a stand-in as data
    (b"\x80\x02c__builtin__\nset\n.", "holds a type"),
    (b"\x80\x02c" + _MOD + b"\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01O\x87R.",
     "reconstructs something other"),  # an (empty) object array
])
def test_forged_opcode_streams_are_refused(data: bytes, why: str) -> None:
    with pytest.raises(UnsafePickleError, match=why):
        _load(data)


def test_tuples_nested_too_deep_to_hash_are_refused() -> None:
    # {((...(None,)...),): None}: hashing 150,000 nested tuples overflowed the C stack
    deep = b"\x80\x02}" + b"N" + b"\x85" * 1000 + b"Ns."
    with pytest.raises(UnsafePickleError, match="nests tuples more than"):
        _load(deep)
    assert _load(b"\x80\x02}" + b"N" + b"\x85" * 30 + b"Ns.")  # PYSKL needs 2 at most


def test_empty_items_slices_and_other_encodings_are_refused() -> None:
    # S0: an array of 2**62 items in no bytes (set() over it froze the process)
    s0 = (b"\x80\x02" + _ARRAY + b"(K\x01\x8a\x08" + (2**62).to_bytes(8, "little")
          + b"\x85cnumpy\ndtype\nX\x02\x00\x00\x00S0\x89\x88\x87R\x89C\x00tb.")
    with pytest.raises(UnsafePickleError, match="dtype"):
        _load(s0)
    with pytest.raises(UnsafePickleError, match="slice"):  # freeing deep slices recursed
        _load(b"\x80\x02c__builtin__\nslice\nNNN\x87R.")
    with pytest.raises(UnsafePickleError, match="encodes with"):  # no codec lookup
        _load(b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00zlib!\x86R.")


def test_an_array_never_shares_its_bytes_with_the_rest_of_the_file() -> None:
    # [raw, array filled from the very same bytes object (memo 1)]: numpy keeps a fill of
    # over 1000 bytes as the array's memory, so writing the array changed ``raw`` too
    raw = bytes(range(256)) * 8
    state = (b"(K\x01M\x00\x08\x85cnumpy\ndtype\nX\x02\x00\x00\x00u1\x89\x88\x87R"
             b"\x89h\x01t")
    data = (b"\x80\x02(B" + len(raw).to_bytes(4, "little") + raw + b"q\x01" + _ARRAY + state
            + b"bl.")
    blob, arr = _load(data)  # type: ignore[misc]
    arr[0] = 255
    assert blob == raw and arr[0] == 255 and arr[1] == 1


def test_the_hand_made_array_loads_when_used_once() -> None:
    arr = _load(b"\x80\x02" + _ARRAY + _STATE + b"b.")
    assert isinstance(arr, np.ndarray) and arr.tobytes() == b"Z" and arr.dtype == np.uint8


class _RunsCode:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("ran code",))


@pytest.mark.parametrize(("obj", "why"), [
    (_RunsCode(), r"builtin\w*\.print"),
    (np.array([1, "a"], dtype=object), "dtype"),
    (np.zeros(2, dtype=[("a", "f4"), ("b", "i4")]), "dtype"),
    (bytearray(16), "bytearray"),  # protocol 2: bytearray(N) would allocate N bytes
])
def test_anything_but_plain_data_is_refused(obj: object, why: str) -> None:
    with pytest.raises(UnsafePickleError, match=why):
        _load(pickle.dumps(obj, protocol=2))


def test_references_outside_the_file_are_refused() -> None:
    class Out(pickle.Pickler):
        def persistent_id(self, obj: object) -> str | None:
            return "outside" if obj == "x" else None

    buf = io.BytesIO()
    Out(buf, protocol=2).dump(["x"])
    with pytest.raises(UnsafePickleError, match="outside the file"):
        _load(buf.getvalue())


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pyskl_annotations_load_in_every_protocol(protocol: int) -> None:
    kp = np.random.default_rng(0).random((1, 5, 17, 2)).astype(np.float32)
    data = {"split": {"xsub_train": ["a"]}, "annotations": [{
        "frame_dir": "a", "label": np.int64(3), "keypoint": kp,
        "keypoint_score": np.ones((1, 5, 17), np.float16), "img_shape": (480, 640),
        "original_shape": (480, 640), "total_frames": 5, "fps": 30.0,
        "names": np.array(["x", "yy"]), "raw": b"\x00\x01", "fortran": np.asfortranarray(
            np.arange(12.0).reshape(3, 4)), "order": collections.OrderedDict(a=1),
        "tags": {1, 2}, "bool": np.bool_(True)}]}
    out = _load(pickle.dumps(data, protocol=protocol))
    assert isinstance(out, dict)
    anno = out["annotations"][0]
    np.testing.assert_array_equal(anno["keypoint"], kp)
    assert anno["keypoint"].dtype == np.float32 and anno["keypoint_score"].dtype == np.float16
    assert anno["label"] == 3 and list(anno["names"]) == ["x", "yy"]
    np.testing.assert_array_equal(anno["fortran"], np.arange(12.0).reshape(3, 4))
    assert anno["raw"] == b"\x00\x01" and anno["order"] == {"a": 1} and anno["tags"] == {1, 2}
    assert out["split"] == {"xsub_train": ["a"]}


def test_a_broken_file_is_an_unpickling_error_not_a_refusal() -> None:
    with pytest.raises(Exception) as info:
        _load(b"frames,x,y\n1,2,3\n")
    assert not isinstance(info.value, UnsafePickleError)
