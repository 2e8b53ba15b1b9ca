"""Training throughput: the course's path against the pipeline most tutorials use.

(a) tutorial: ``torchvision.datasets.MNIST`` + ``transforms.ToTensor()`` through a ``DataLoader``,
    reading IDX files this script writes from the offline data (so it runs without internet), with
    ``loss.item()`` per batch as tutorials print it;
(b) course: the images as one tensor on the device, sliced by ``course_utils.data.batches`` inside
    ``course_utils.train.train`` (one sync per epoch).
Both train the same freshly initialised model for the same epochs on the same images; we report
images per second (median of repeats) and the ratio, plus the wall time for an MLP VAE to reach a
target test loss both ways. Results go to ``build/bench.md``. Run with ``make bench``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import struct
import tempfile
import time
from pathlib import Path

import torch

from course_utils.data import load_mnist
from course_utils.device import get_device, set_seed
from course_utils.losses import reconstruction_loss
from course_utils.models import MLPAutoencoder
from course_utils.train import train


def write_idx_mnist(root: Path, x: torch.Tensor, y: torch.Tensor) -> None:
    """Write images/labels as torchvision's MNIST raw files (both splits hold the same images)."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    imgs = (x[:, 0] * 255).round().to(torch.uint8).numpy()
    labels = y.to(torch.uint8).numpy()
    for split in ("train", "t10k"):
        (raw / f"{split}-images-idx3-ubyte").write_bytes(struct.pack(">BBBBIII", 0, 0, 8, 3, *imgs.shape) + imgs.tobytes())
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(struct.pack(">BBBBI", 0, 0, 8, 1, len(labels)) + labels.tobytes())


# --- the models and objectives being timed ---------------------------------------------------------
def _vae_loss(model, x):
    from course_utils.losses import vae_objective

    return vae_objective()(model, x)


def model_factories():
    """name -> (make_model, loss_fn); models that a checkout lacks are skipped."""
    from course_utils import models

    table = {"mlp_ae": (lambda: MLPAutoencoder(32, hidden=(256,)), reconstruction_loss)}
    if hasattr(models, "ConvAutoencoder"):
        table["conv_ae"] = (lambda: models.ConvAutoencoder(32), reconstruction_loss)
    if hasattr(models, "VAE"):
        table["mlp_vae"] = (lambda: models.VAE(latent_dim=20, hidden=400), _vae_loss)
    if hasattr(models, "Generator") and hasattr(models, "Discriminator"):
        table["dcgan"] = (None, None)  # timed with its own loop below
    return table


def gan_step(G, D, opt_g, opt_d, x, latent_dim):
    """One D update then one G update (non-saturating loss), as in 07_gan_contrast."""
    from course_utils.losses import discriminator_loss, generator_loss_non_saturating

    fake = G(torch.randn(len(x), latent_dim, device=x.device))
    d_loss, _ = discriminator_loss(D(x), D(fake.detach()))
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    g_loss = generator_loss_non_saturating(D(fake))
    opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    opt_g.step()
    return d_loss.detach(), g_loss.detach()


def make_gan(device):
    """A fresh Generator/Discriminator pair with Adam(2e-4, β1 = 0.5) for each (Radford et al. 2016)."""
    from course_utils.models import Discriminator, Generator

    G, D = Generator().to(device), Discriminator().to(device)
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    return G, D, opt_g, opt_d


# --- the two pipelines -------------------------------------------------------------------------------
def tutorial_epochs(make_model, loss_fn, root, batch_size, epochs, device, name):
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    ds = datasets.MNIST(str(root), train=True, download=False, transform=transforms.ToTensor())
    loader = DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=0)
    if name == "dcgan":
        G, D, opt_g, opt_d = make_gan(device)
        start = time.perf_counter()
        for _ in range(epochs):
            for x, _ in loader:
                d_loss, g_loss = gan_step(G, D, opt_g, opt_d, x.to(device), G.latent_dim)
                d_loss.item(), g_loss.item()
        return time.perf_counter() - start
    model = make_model().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for x, _ in loader:
            x = x.to(device)
            opt.zero_grad()
            loss, _ = loss_fn(model, x)
            loss.backward()
            opt.step()
            loss.item()  # what a tutorial prints
    return time.perf_counter() - start


def course_epochs(make_model, loss_fn, x, batch_size, epochs, device, name):
    from course_utils.data import batches

    if name == "dcgan":
        G, D, opt_g, opt_d = make_gan(device)
        start = time.perf_counter()
        for _ in range(epochs):
            total = torch.zeros(2, device=device)
            for xb in batches(x, batch_size, shuffle=True):
                total += torch.stack(gan_step(G, D, opt_g, opt_d, xb, G.latent_dim))
            total.tolist()  # one sync per epoch
        return time.perf_counter() - start
    model = make_model().to(device)
    start = time.perf_counter()
    train(model, loss_fn, x, epochs=epochs, lr=1e-3, batch_size=batch_size, progress=False)
    return time.perf_counter() - start


def time_to_quality(data, root, device, target, max_epochs, batch_size=128):
    """Wall seconds until an MLP VAE (784-400-20, BCE) reaches ``target`` test nats, both ways."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    from course_utils.losses import vae_objective
    from course_utils.models import VAE

    loss_fn = vae_objective()
    x_test = data.x_test.to(device)

    def test_loss(model):
        model.eval()
        with torch.no_grad():
            return loss_fn(model, x_test)[0].item()

    out = {}
    for way in ("tutorial", "course"):
        set_seed(0)
        model = VAE(latent_dim=20, hidden=400).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x_train = data.x_train.to(device)
        loader = DataLoader(datasets.MNIST(str(root), train=True, transform=transforms.ToTensor()),
                            batch_size=batch_size, shuffle=True)
        elapsed, reached = 0.0, None
        for epoch in range(1, max_epochs + 1):
            start = time.perf_counter()
            if way == "tutorial":
                model.train()
                for x, _ in loader:
                    opt.zero_grad()
                    loss, _ = loss_fn(model, x.to(device))
                    loss.backward()
                    opt.step()
                    loss.item()
            else:
                train(model, loss_fn, x_train, epochs=1, batch_size=batch_size, optimizer=opt,
                      progress=False)
            elapsed += time.perf_counter() - start
            if test_loss(model) <= target:
                reached = (epoch, elapsed)
                break
        out[way] = reached
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000, help="training images (default 4000)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--models", nargs="+", default=None, help="subset of: mlp_ae conv_ae mlp_vae dcgan")
    parser.add_argument("--vae-target", type=float, default=120.0, help="test nats per image to reach")
    parser.add_argument("--vae-max-epochs", type=int, default=30)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--out", default="build/bench.md")
    args = parser.parse_args(argv)

    device = get_device()
    data = load_mnist(args.n, 1000, offline=True, verbose=False)
    factories = model_factories()
    names = args.models or list(factories)
    unknown = set(names) - set(factories)
    if unknown:
        parser.error(f"unknown or unavailable models {sorted(unknown)}; available: {sorted(factories)}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_idx_mnist(root, data.x_train, data.y_train)
        x = data.x_train.to(device)
        for name in names:
            make_model, loss_fn = factories[name]
            for bs in args.batch_sizes:
                times = {"tutorial": [], "course": []}
                for r in range(args.repeats):
                    for way in ("tutorial", "course"):
                        set_seed(r)
                        if way == "tutorial":
                            t = tutorial_epochs(make_model, loss_fn, root, bs, args.epochs, device, name)
                        else:
                            t = course_epochs(make_model, loss_fn, x, bs, args.epochs, device, name)
                        times[way].append(t)
                ips = {w: args.n * args.epochs / statistics.median(ts) for w, ts in times.items()}
                rows.append((name, bs, ips["tutorial"], ips["course"], ips["course"] / ips["tutorial"]))
                print(f"{name:8s} batch {bs:4d}: tutorial {ips['tutorial']:9.0f} img/s, course "
                      f"{ips['course']:9.0f} img/s, ratio {rows[-1][-1]:.2f}×", flush=True)
        quality = None
        if not args.skip_quality and "mlp_vae" in factories:
            quality = time_to_quality(data, root, device, args.vae_target, args.vae_max_epochs)
            print("time to quality:", quality)

    lines = ["# Training throughput: course path vs tutorial pipeline", "",
             f"- machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
             f"torch {torch.__version__}, device {device}"
             + (f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else ""),
             f"- {args.n:,} MNIST images, {args.epochs} epoch(s) per run, median of {args.repeats} repeats", "",
             "| model | batch size | tutorial (img/s) | course (img/s) | speed-up |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {n} | {bs} | {a:,.0f} | {b:,.0f} | {r:.2f}× |" for n, bs, a, b, r in rows]
    if quality:
        lines += ["", f"Time to quality: MLP VAE (784-400-20, BCE, batch 128) to ≤ {args.vae_target} test nats/image:"]
        for way, got in quality.items():
            lines.append(f"- {way}: " + (f"{got[1]:.1f} s ({got[0]} epochs)" if got else
                                          f"not reached in {args.vae_max_epochs} epochs"))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
