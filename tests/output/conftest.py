import numpy as np
import pytest

from studio.output.base import OutputFrame


def make_frame(image: np.ndarray, index: int = 0) -> OutputFrame:
    h, w = image.shape[:2]
    return OutputFrame(image=image, original=image[..., :3], alpha=np.ones((h, w), np.float32), frame_index=index,
                       t_capture=0.0, mask_frame_index=-1)


@pytest.fixture
def frame_factory():
    return make_frame
