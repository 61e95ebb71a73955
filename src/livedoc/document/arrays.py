"""NumPy arrays on the wire: the conversions Bokeh applies, and zero-copy views both ways.

Only nine dtypes travel as binary buffers (`WIRE_DTYPES`); there are no 64-bit integers in
JavaScript typed arrays. Before encoding, an array is brought to one of them the way Bokeh does:

* datetime64 / timedelta64 become float64 milliseconds (NaT becomes NaN);
* int64 / uint64 become int32 / uint32 when every value fits, float64 otherwise (exact up to
  2**53, which is all a JavaScript number holds; Bokeh falls back to a JSON list here);
* masked arrays are filled with NaN; float16 becomes float32;
* non-contiguous arrays are made contiguous (the one case that copies);
* string and object arrays become JSON lists (`dtype: "object"`).

A contiguous array of a wire dtype is sent as a memoryview of its own memory, big-endian arrays
included (the rep says `order: "big"` and BokehJS swaps).
"""

from __future__ import annotations

import math
import sys
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from livedoc.errors import DeserializationError, SerializationError

__all__ = [
    "WIRE_DTYPES",
    "ByteOrder",
    "array_from_buffer",
    "array_from_list",
    "prepare_array",
]

ByteOrder: TypeAlias = Literal["little", "big"]

WIRE_DTYPES: Final[frozenset[str]] = frozenset(
    {"bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"}
)
_NATIVE: Final[ByteOrder] = "little" if sys.byteorder == "little" else "big"

AnyArray: TypeAlias = npt.NDArray[Any]


#: Wire dtypes in each byte order, and the order to declare: arrays of these go out as they are.
_ORDERS: Final[tuple[ByteOrder, ...]] = ("little", "big")
_READY: Final[dict[np.dtype[Any], ByteOrder]] = {
    np.dtype(name).newbyteorder(order): order for name in WIRE_DTYPES for order in _ORDERS
}
_READY.update({np.dtype(name): _NATIVE for name in WIRE_DTYPES})


def _to_milliseconds(array: AnyArray) -> AnyArray:
    unit = "datetime64[us]" if array.dtype.kind == "M" else "timedelta64[us]"
    micros = array.astype(unit)
    result: AnyArray = np.where(np.isnat(micros), np.nan, micros.view(np.int64) / 1000.0)
    return result


def _narrow_integers(array: AnyArray) -> AnyArray:
    target = np.int32 if array.dtype.kind == "i" else np.uint32
    info = np.iinfo(target)
    if array.size == 0 or (array.min() >= info.min and array.max() <= info.max):
        return array.astype(target)
    return array.astype(np.float64)


def prepare_array(array: AnyArray) -> tuple[AnyArray | list[Any], ByteOrder]:
    """Bring `array` to a wire form: an array of a wire dtype, or a list for `dtype: "object"`.

    Returns the array (a view of the input whenever no conversion is needed) and its byte order.
    """
    order = _READY.get(array.dtype)
    if order is not None and type(array) is np.ndarray and array.flags.c_contiguous:
        return array, order  # the common case, decided without NumPy's slow dtype.name
    if isinstance(array, np.ma.MaskedArray):
        masked = array.astype(np.float64) if array.dtype.kind in "iub" else array
        array = np.asarray(np.ma.filled(masked, np.nan))
    kind = array.dtype.kind
    if kind in "Mm":
        array = _to_milliseconds(array)
    elif kind in "iu" and array.dtype.itemsize == 8:
        array = _narrow_integers(array)
    elif kind == "f" and array.dtype.itemsize == 2:
        array = array.astype(np.float32)
    elif kind == "c":
        raise SerializationError(
            f"complex arrays ({array.dtype}) cannot be sent: BokehJS has no complex type; "
            "send the real and imaginary parts as two columns"
        )
    elif kind in "OUSV" or array.dtype.name not in WIRE_DTYPES:
        if kind == "V":
            raise SerializationError(f"structured arrays ({array.dtype}) cannot be sent")
        return array.ravel().tolist(), _NATIVE
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)
    return array, _READY[array.dtype]  # a wire dtype by now


def _dtype(name: str, order: str) -> np.dtype[Any]:
    if name not in WIRE_DTYPES:
        raise DeserializationError(
            f"unsupported dtype {name!r}; expected one of {sorted(WIRE_DTYPES)}"
        )
    if order not in ("little", "big"):
        raise DeserializationError(f"byte order must be 'little' or 'big', not {order!r}")
    dtype = np.dtype(name)
    return dtype.newbyteorder("<" if order == "little" else ">") if dtype.itemsize > 1 else dtype


def _check_shape(shape: Any) -> tuple[int, ...]:
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        raise DeserializationError(
            f"an ndarray shape must be a list of non-negative integers, not {shape!r}"
        )
    return tuple(shape)


def _reshape(array: AnyArray, dims: tuple[int, ...]) -> AnyArray:
    # Item counts are compared with math.prod (exact); np.prod overflows int64 on hostile shapes.
    try:
        return array.reshape(dims)
    except ValueError:  # an empty array with a dimension NumPy cannot index, like [0, 2**64]
        raise DeserializationError(f"shape {list(dims)} is beyond NumPy's limits") from None


def array_from_buffer(
    buffer: bytes | bytearray | memoryview, dtype: str, order: str, shape: Any = None
) -> AnyArray:
    """A read-only array viewing `buffer` (no copy), in native byte order when it already is."""
    np_dtype = _dtype(dtype, order)
    nbytes = memoryview(buffer).nbytes
    if nbytes % np_dtype.itemsize:
        raise DeserializationError(
            f"a buffer of {nbytes} bytes does not hold whole {dtype} items ({np_dtype.itemsize} bytes each)"
        )
    array: AnyArray = np.frombuffer(buffer, dtype=np_dtype)
    if shape is not None:
        dims = _check_shape(shape)
        if math.prod(dims) != array.size:
            raise DeserializationError(
                f"shape {list(dims)} needs {math.prod(dims)} items, the buffer holds {array.size}"
            )
        array = _reshape(array, dims)
    if (
        array.flags.writeable
    ):  # bytearray-backed buffers would be writeable: keep wire data read-only
        array.flags.writeable = False
    return array


def array_from_list(items: list[Any], dtype: str, shape: Any) -> AnyArray:
    """An array from an `ndarray` rep whose data came as a JSON list."""
    dims = _check_shape(shape)
    if dtype == "object":
        array: AnyArray = np.empty(len(items), dtype=object)
        for index, item in enumerate(items):  # slice assignment would broadcast nested lists
            array[index] = item
    else:
        np_dtype = _dtype(dtype, _NATIVE)
        try:
            # A number that overflows the dtype (1e300 as float32) does not fit it either.
            with np.errstate(over="raise", invalid="raise"):
                array = np.array(items, dtype=np_dtype)
        except (TypeError, ValueError, OverflowError, FloatingPointError) as exc:
            raise DeserializationError(f"ndarray items do not fit dtype {dtype!r}: {exc}") from None
        if array.ndim != 1:  # the items of an ndarray rep are flat; `shape` gives the dimensions
            raise DeserializationError("the items of an ndarray rep must be a flat list")
    if math.prod(dims) != array.size:
        raise DeserializationError(f"shape {list(dims)} does not match {array.size} items")
    return _reshape(array, dims) if len(dims) != 1 else array
