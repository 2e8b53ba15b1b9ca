"""Convolution arithmetic (03_conv_arithmetic) against PyTorch's own layers."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

from course_utils.arithmetic import (
    conv_matrix,
    conv_output_size,
    conv_transpose_output_size,
    input_sizes_for_output,
    transposed_conv_by_zero_insertion,
)

sizes = dict(i=st.integers(1, 24), k=st.integers(1, 6), s=st.integers(1, 4), p=st.integers(0, 4),
             d=st.integers(1, 3))


@settings(max_examples=150, deadline=None)
@given(**sizes)
def test_conv_output_size_matches_conv2d(i, k, s, p, d):
    layer = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
    x = torch.zeros(1, 1, i, i + 1)
    try:
        shape = layer(x).shape
    except RuntimeError:  # PyTorch refuses: the kernel does not fit
        with pytest.raises(ValueError):
            conv_output_size(i, k, s, p, d)
        return
    assert shape[-2:] == (conv_output_size(i, k, s, p, d), conv_output_size(i + 1, k, s, p, d))


@settings(max_examples=150, deadline=None)
@given(**sizes, output_padding=st.integers(0, 3))
def test_conv_transpose_output_size_matches_conv_transpose2d(i, k, s, p, d, output_padding):
    layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, dilation=d,
                               output_padding=output_padding, bias=False)
    for n in (i, i + 2):
        try:
            o_torch = layer(torch.zeros(1, 1, n, 2 * p + 1)).shape[-2]  # the width is always valid
        except (RuntimeError, ValueError):  # invalid output_padding or a negative size
            o_torch = 0
        if o_torch == 0:  # PyTorch errs or returns an empty tensor: we reject sizes <= 0
            with pytest.raises(ValueError):
                conv_transpose_output_size(n, k, s, p, d, output_padding)
        else:
            assert conv_transpose_output_size(n, k, s, p, d, output_padding) == o_torch


@settings(max_examples=100, deadline=None)
@given(o=st.integers(1, 12), k=sizes["k"], s=sizes["s"], p=sizes["p"], d=sizes["d"])
def test_input_sizes_for_output_are_exactly_the_preimage(o, k, s, p, d):
    found = input_sizes_for_output(o, k, s, p, d)
    assert len(found) <= s  # empty when padding makes o too small to reach
    brute = []
    for n in range(1, (o + 1) * s + d * k + 2):
        try:
            if conv_output_size(n, k, s, p, d) == o:
                brute.append(n)
        except ValueError:
            pass
    assert found == brute
    # output_padding chooses which of them the transposed convolution restores
    if found and found[0] == (o - 1) * s + d * (k - 1) + 1 - 2 * p:
        for op, n in enumerate(found):
            if op < s or op < d:
                assert conv_transpose_output_size(o, k, s, p, d, op) == n


@settings(max_examples=40, deadline=None)
@given(h=st.integers(3, 9), w=st.integers(3, 9), k=st.integers(1, 4), s=st.integers(1, 3),
       p=st.integers(0, 2), seed=st.integers(0, 10_000))
def test_conv_matrix_matches_conv2d_and_its_transpose(h, w, k, s, p, seed):
    assume(h + 2 * p >= k and w + 2 * p >= k)
    g = torch.Generator().manual_seed(seed)
    weight = torch.randn(1, 1, k, k, generator=g, dtype=torch.float64)
    x = torch.randn(1, 1, h, w, generator=g, dtype=torch.float64)
    C = conv_matrix(weight, (h, w), stride=s, padding=p)
    y = F.conv2d(x, weight, stride=s, padding=p)
    assert C.shape == (y.numel(), h * w)
    torch.testing.assert_close(C @ x.flatten(), y.flatten())
    # C^T is the transposed convolution (when the strided output covers the whole input)
    y_t = torch.randn_like(y)
    out_pad = (h + 2 * p - k) % s, (w + 2 * p - k) % s
    ref = F.conv_transpose2d(y_t, weight, stride=s, padding=p, output_padding=out_pad)
    torch.testing.assert_close(C.T @ y_t.flatten(), ref.flatten())


def test_conv_matrix_accepts_2d_kernel_and_int_size():
    weight = torch.arange(9.0).reshape(3, 3)
    C = conv_matrix(weight, 4)
    assert C.shape == (4, 16)
    # first output pixel sees the top-left 3x3 window
    assert C[0].reshape(4, 4)[:3, :3].equal(weight)
    assert C[0].reshape(4, 4)[3].abs().sum() == 0


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 7), w=st.integers(1, 7), k=st.integers(1, 5), s=st.integers(1, 4),
       p=st.integers(0, 6), op=st.integers(0, 3), seed=st.integers(0, 10_000))
def test_zero_insertion_matches_conv_transpose2d(h, w, k, s, p, op, seed):
    assume(op < s)
    assume((h - 1) * s - 2 * p + k + op >= 1 and (w - 1) * s - 2 * p + k + op >= 1)
    g = torch.Generator().manual_seed(seed)
    weight = torch.randn(1, 1, k, k, generator=g, dtype=torch.float64)
    x = torch.randn(2, 1, h, w, generator=g, dtype=torch.float64)
    ref = F.conv_transpose2d(x, weight, stride=s, padding=p, output_padding=op)
    torch.testing.assert_close(transposed_conv_by_zero_insertion(x, weight, s, p, op), ref)


def test_zero_insertion_2d_input_and_cropping_padding():
    x = torch.randn(5, 5)
    weight = torch.randn(3, 3)
    # p = 3 > k - 1 = 2: the "padding" of the direct convolution is negative, i.e. a crop
    y = transposed_conv_by_zero_insertion(x, weight, stride=2, padding=3, output_padding=1)
    ref = F.conv_transpose2d(x[None, None], weight[None, None], stride=2, padding=3, output_padding=1)
    assert y.shape == ref.shape[-2:] == (6, 6)
    torch.testing.assert_close(y, ref[0, 0])


def test_empty_transposed_output_is_rejected():
    # PyTorch returns an empty tensor here (size 0); a layer that outputs nothing is an error for us
    assert nn.ConvTranspose2d(1, 1, 4, padding=2)(torch.zeros(1, 1, 1, 1)).shape[-1] == 0
    with pytest.raises(ValueError, match="output size"):
        conv_transpose_output_size(1, 4, p=2)


def test_pytorch_lecture_examples():
    # 03_conv_arithmetic: 2x2 -> 4x4, 4x4 -> 6x6 ('valid'), 8x8 -> 10x10 with k=3
    assert conv_transpose_output_size(2, 3) == 4
    assert conv_transpose_output_size(4, 3) == 6
    assert conv_transpose_output_size(8, 3) == 10
    assert conv_output_size(10, 3) == 8
    assert conv_output_size(8, 3, p=1) == 8  # 'same'
    assert conv_output_size(28, 3, s=2, p=1) == 14
    assert input_sizes_for_output(14, 3, s=2, p=1) == [27, 28]


@pytest.mark.parametrize("call, name", [
    (lambda: conv_output_size(0, 3), "i"),
    (lambda: conv_output_size(5, 0), "k"),
    (lambda: conv_output_size(5, 3, s=0), "s"),
    (lambda: conv_output_size(5, 3, p=-1), "p"),
    (lambda: conv_output_size(5, 3, d=0), "d"),
    (lambda: conv_output_size(5.0, 3), "i"),
    (lambda: conv_output_size(5, "3"), "k"),
    (lambda: conv_output_size(5, 3, s=True), "s"),
    (lambda: conv_output_size(2, 5), "output size"),
    (lambda: conv_transpose_output_size(3, 3, s=2, output_padding=2), "output_padding"),
    (lambda: conv_transpose_output_size(3, 3, output_padding=-1), "output_padding"),
    (lambda: conv_transpose_output_size(1, 1, p=1), "output size"),
    (lambda: input_sizes_for_output(0, 3), "o"),
    (lambda: conv_matrix(torch.ones(2, 1, 3, 3), 5), "weight"),
    (lambda: conv_matrix(torch.ones(3, 3), 5, stride=0), "stride"),
    (lambda: conv_matrix(torch.ones(3, 3), (5, 5, 5)), "input_size"),
    (lambda: conv_matrix(torch.ones(3, 3), 2), "output size"),
    (lambda: transposed_conv_by_zero_insertion(torch.ones(1, 2, 3, 3), torch.ones(3, 3)), "x"),
    (lambda: transposed_conv_by_zero_insertion(torch.ones(3, 3), torch.ones(3, 3), padding=-1), "padding"),
    (lambda: transposed_conv_by_zero_insertion(torch.ones(3, 3), torch.ones(3, 3), 2, 0, 2), "output_padding"),
    (lambda: transposed_conv_by_zero_insertion(torch.ones(1, 1), torch.ones(1, 1), padding=1), "output size"),
])
def test_bad_arguments_raise_clear_errors(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_grid_figures_and_explorer_return_figures():
    from matplotlib.figure import Figure

    from course_utils.conv_figures import plot_conv_grid, plot_transposed_conv_1d
    from course_utils.widgets import conv_explorer, draw_conv_explorer

    for kwargs in [dict(i=5, k=3, s=2, p=1), dict(i=3, k=3, s=2, p=1, transposed=True, output_padding=1),
                   dict(i=4, k=3, s=2, p=3, transposed=True)]:  # the last one crops
        fig = plot_conv_grid(**kwargs)
        assert isinstance(fig, Figure)
        fig2 = draw_conv_explorer(**kwargs)
        assert "✔ matches" in fig2.axes[0].get_title()
    fig = plot_transposed_conv_1d([1.0, 2.0, 3.0], [1.0, -1.0, 2.0], stride=2)
    assert isinstance(fig, Figure)
    # the bottom row of the table is the transposed convolution itself
    y = F.conv_transpose1d(torch.tensor([[[1.0, 2.0, 3.0]]]), torch.tensor([[[1.0, -1.0, 2.0]]]), stride=2)
    assert fig.axes[0].images[0].get_array()[-1].tolist() == y.flatten().tolist()
    with pytest.raises(ValueError):
        plot_conv_grid(2, 5)
    with pytest.raises(ValueError):
        plot_transposed_conv_1d([], [1.0])
    widget = conv_explorer(i=2, k=5)  # an invalid layer shows a message instead of failing
    assert len(widget.children) == 7
