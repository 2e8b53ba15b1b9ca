"""The networks of the course, as plain ``nn.Module``s, one module per family.

Each model's ``forward`` is written out in the notebook that teaches it; later notebooks import it
from here (``from course_utils.models import VAE``). Autoencoders expose ``encode(x) -> z`` and
``decode(z) -> x_hat`` as well as ``forward``.

- ``autoencoders``: ``MLPAutoencoder`` (02), ``ConvAutoencoder`` and ``ResizeConvAutoencoder`` (04)
- ``vae``: ``VAE``, ``ConvVAE`` (06)
- ``gan``: ``Generator``, ``Discriminator`` (07)
- ``lenet``: ``LeNet``, the feature extractor of the Fréchet LeNet distance (06, 07)
- ``image_to_image``: ``Restorer`` (super-resolution, inpainting) and ``Segmenter`` (with or without skips) (09)
"""

from .autoencoders import ConvAutoencoder, MLPAutoencoder, ResizeConvAutoencoder
from .gan import Discriminator, Generator
from .image_to_image import Restorer, Segmenter
from .lenet import LeNet
from .vae import VAE, ConvVAE

__all__ = ["MLPAutoencoder", "ConvAutoencoder", "ResizeConvAutoencoder", "VAE", "ConvVAE", "Generator",
           "Discriminator", "LeNet", "Restorer", "Segmenter"]
