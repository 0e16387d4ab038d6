"""Keras's HDF5 layout helpers (keras_front/saving/layout.py): how strings are stored and
read back in every form Keras and h5py produce, chunked attributes, safe names."""

import h5py
import numpy as np
import pytest

from keras_front.saving.layout import (
    HDF5_OBJECT_HEADER_LIMIT,
    MAX_EXPANSION,
    SavedModelError,
    check_h5_name,
    check_stored_in_file,
    read_json,
    read_string,
    read_string_list,
    read_weights_group,
    resolve,
    unique_weight_names,
    write_string,
    write_string_list,
)


@pytest.fixture
def h5(tmp_path):
    with h5py.File(tmp_path / "t.h5", "w") as f:
        yield f


def test_strings_are_fixed_length_bytes_like_keras(h5):
    write_string(h5, "keras_version", "1.2.2")
    value = h5.attrs["keras_version"]
    assert isinstance(value, np.bytes_) and h5.attrs.get_id("keras_version").dtype == "S5"
    assert read_string(h5, "keras_version", "t.h5") == "1.2.2"


def test_a_string_too_big_for_a_header_is_stored_variable_length(h5):
    text = "x" * (HDF5_OBJECT_HEADER_LIMIT + 10)
    write_string(h5, "model_config", text)
    assert h5.attrs.get_id("model_config").dtype.kind == "O"
    assert read_string(h5, "model_config", "t.h5") == text


def test_string_lists_are_s_arrays_and_empty_lists_float64(h5):
    write_string_list(h5, "layer_names", ["dense_1", "dropout_1"])
    assert h5.attrs["layer_names"].dtype == "S9"
    write_string_list(h5, "weight_names", [])
    empty = h5.attrs["weight_names"]
    assert empty.dtype == np.float64 and empty.shape == (0,)
    assert read_string_list(h5, "layer_names", "t.h5") == ["dense_1", "dropout_1"]
    assert read_string_list(h5, "weight_names", "t.h5") == []


def test_long_lists_are_chunked_as_keras_2_does(h5):
    names = [f"layer_{i:05d}_" + "x" * 40 for i in range(3000)]  # ~150 KB
    write_string_list(h5, "layer_names", names)
    assert "layer_names" not in h5.attrs
    chunks = sorted(k for k in h5.attrs if k.startswith("layer_names"))
    assert len(chunks) >= 3 and chunks[0] == "layer_names0"
    assert all(h5.attrs[k].nbytes <= HDF5_OBJECT_HEADER_LIMIT for k in chunks)
    assert read_string_list(h5, "layer_names", "t.h5") == names


def test_every_string_form_reads(h5):
    h5.attrs["vlen_list"] = ["a", "b"]                       # h5py 3: object array of str
    h5.attrs["vlen_scalar"] = "plain"                        # h5py 3: str
    h5.attrs["unicode"] = np.bytes_("dénse".encode())
    h5.attrs["one"] = np.bytes_(b"solo")
    assert read_string_list(h5, "vlen_list", "t.h5") == ["a", "b"]
    assert read_string(h5, "vlen_scalar", "t.h5") == "plain"
    assert read_string(h5, "unicode", "t.h5") == "dénse"
    assert read_string_list(h5, "one", "t.h5") == ["solo"]


def test_bad_attributes_are_reported(h5):
    h5.attrs["number"] = 3.5
    h5.attrs["numbers"] = np.arange(3)
    h5.attrs["latin1"] = np.bytes_(b"\xe9t\xe9")
    h5.attrs["json"] = np.bytes_(b'{"a": ')
    with pytest.raises(SavedModelError, match=r"t\.h5: attribute 'number' of the file should "
                                              r"be a string, found float"):
        read_string(h5, "number", "t.h5")
    with pytest.raises(SavedModelError, match=r"should be a list of strings, found a int64 "
                                              r"array of shape \(3,\)"):
        read_string_list(h5, "numbers", "t.h5")
    with pytest.raises(SavedModelError, match="not UTF-8 text"):
        read_string(h5, "latin1", "t.h5")
    with pytest.raises(SavedModelError, match=r"attribute 'json' is not valid JSON"):
        read_json(h5, "json", "t.h5")
    with pytest.raises(SavedModelError, match=r"the file has no 'absent' attribute"):
        read_string_list(h5, "absent", "t.h5")


def test_unique_weight_names_follow_keras():
    class V:
        def __init__(self, name):
            self.name = name

    names = unique_weight_names([V("w"), V(None), V("w"), V("w"), V("a/../b"), V("d/kernel:0")])
    assert names == ["w", "param_1", "w_1", "w_2", "param_4", "d/kernel:0"]


@pytest.mark.parametrize("name", ["", "/abs", "a//b", "a/./b", "..", "x/"])
def test_names_hdf5_would_misread_are_refused(name):
    with pytest.raises(ValueError, match="not usable as an HDF5 name"):
        check_h5_name(name, "layer")


def test_resolve_follows_hard_links_only(h5):
    group = h5.create_group("layer")
    group.create_dataset("w/kernel:0", data=np.ones(2))
    group["soft"] = h5py.SoftLink("/layer/w/kernel:0")
    assert resolve(group, "w/kernel:0", "t.h5", h5py.Dataset, "weight").shape == (2,)
    with pytest.raises(SavedModelError, match="weight is a soft link"):
        resolve(group, "soft", "t.h5", h5py.Dataset, "weight")
    with pytest.raises(SavedModelError, match="weight is not a relative HDF5 name"):
        resolve(group, "/layer/w/kernel:0", "t.h5", h5py.Dataset, "weight")
    with pytest.raises(SavedModelError, match="weight is not an HDF5 dataset"):
        resolve(group, "w", "t.h5", h5py.Dataset, "weight")
    with pytest.raises(SavedModelError, match=r"weight: 'w/kernel:0' is not a group"):
        resolve(group, "w/kernel:0/deeper", "t.h5", h5py.Dataset, "weight")


def test_a_weights_group_is_indexed_without_reading_data(h5):
    h5.attrs["layer_names"] = np.array([b"d", b"d"])
    with pytest.raises(SavedModelError, match="layer 'd' is listed twice"):
        h5.create_group("d").attrs["weight_names"] = np.array([], dtype=np.float64)
        read_weights_group(h5, "t.h5")
    h5.attrs["layer_names"] = np.array([b"d"])
    h5["d"].attrs["weight_names"] = np.array([b"k"])
    h5["d"].create_dataset("k", data=np.arange(6.0).reshape(2, 3))
    saved = read_weights_group(h5, "t.h5")
    assert saved.keras_version == "1" and saved.backend is None  # a Keras 1 group
    (name, array), = saved.layers["d"]
    assert name == "k" and array.shape == (2, 3)
    np.testing.assert_array_equal(array.read(), np.arange(6.0).reshape(2, 3))


# ---------------------------------------------------------------- bounded reading


def _declare_without_data(group, name, shape, dtype="float32", **options):
    """Replace dataset `name` by one that declares `shape` but stores nothing."""
    del group[name]
    group.create_dataset(name, shape=shape, dtype=dtype, **options)


@pytest.mark.parametrize("options", [{}, {"chunks": True}, {"chunks": True,
                                                           "compression": "gzip"}])
def test_a_dataset_declaring_more_than_the_file_stores_is_refused_unread(h5, options):
    write_string_list(h5, "layer_names", ["d"])
    group = h5.create_group("d")
    write_string_list(group, "weight_names", ["d/kernel:0"])
    group.create_dataset("d/kernel:0", data=np.ones((3, 2), "float32"))
    _declare_without_data(group, "d/kernel:0", (10**6, 10**6), **options)
    with pytest.raises(SavedModelError, match=r"weight 'd/kernel:0' of layer 'd' declares "
                                              r"shape \(1000000, 1000000\) \(float32, "
                                              r"4,000,000,000,000 bytes\) but the file stores "
                                              r"only 0 .*refused before reading"):
        read_weights_group(h5, "t.h5")


def test_compressed_data_may_expand_only_as_much_as_deflate_can(h5):
    write_string_list(h5, "layer_names", ["d"])
    group = h5.create_group("d")
    write_string_list(group, "weight_names", ["zeros", "sparse"])
    # deflate's best case (zeros, level 9, one chunk) stays under the limit and loads:
    group.create_dataset("zeros", data=np.zeros((4000, 1000)), compression="gzip",
                         compression_opts=9, chunks=(4000, 1000))
    assert 32_000_000 / group["zeros"].id.get_storage_size() > 1000
    # one chunk of 400 written, the others left to the fill value: too little data
    sparse = group.create_dataset("sparse", shape=(40000, 1000), dtype="float64",
                                  compression="gzip", chunks=(100, 1000))
    sparse[:100] = 1.0
    assert 320_000_000 > sparse.id.get_storage_size() * MAX_EXPANSION
    with pytest.raises(SavedModelError, match=r"'sparse' of layer 'd' declares shape \(40000, "
                                              r"1000\) .*at most 1100x that once expanded"):
        read_weights_group(h5, "t.h5")
    write_string_list(group, "weight_names", ["zeros"])
    np.testing.assert_array_equal(read_weights_group(h5, "t.h5").layers["d"][0][1].read(),
                                  np.zeros((4000, 1000)))


def test_the_weights_must_fit_in_the_file():
    class Claim:  # a StoredArray as a crafted layout message could describe it
        def __init__(self, stored_bytes):
            self.stored_bytes = stored_bytes

    check_stored_in_file("t.h5", [Claim(600), Claim(400)], 1000)
    with pytest.raises(SavedModelError, match=r"t\.h5: the weights claim 1,001 bytes of "
                                              r"storage but the file has only 1,000 bytes"):
        check_stored_in_file("t.h5", [Claim(601), Claim(400)], 1000)


@pytest.mark.parametrize("dtype", [
    pytest.param("float128", marks=pytest.mark.skipif(not hasattr(np, "float128"),
                                                      reason="no float128 on this platform")),
    "complex64"])
def test_weights_of_dtypes_no_layer_holds_are_refused(h5, dtype):
    write_string_list(h5, "layer_names", ["d"])
    group = h5.create_group("d")
    write_string_list(group, "weight_names", ["w"])
    group.create_dataset("w", data=np.ones(3, dtype))
    with pytest.raises(SavedModelError, match=f"weight 'w' of layer 'd' has dtype {dtype}; "
                                              f"expected numbers"):
        read_weights_group(h5, "t.h5")
