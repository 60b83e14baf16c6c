"""Crop reading for crop sets: the recogniser of the crop's region, then the grammar."""
import numpy as np

from checkpoint.lab.crops import RecogniserCropReader, whole
from checkpoint.read import Recognisers
from checkpoint.ctc import Reading


class Named:
    def __init__(self, text: str) -> None:
        self.text, self.calls = text, 0

    def recognise(self, crops):
        self.calls += len(crops)
        return [Reading(self.text, tuple([0.99] * len(self.text)), ()) for _ in crops]


def test_crops_of_a_region_go_to_that_regions_recogniser():
    generic, cn = Named("KA482BC"), Named("皖A12345")
    reader = RecogniserCropReader(Recognisers(generic, {"cn": cn}))
    crop = np.zeros((24, 94, 3), np.uint8)
    assert reader.read_crop(crop, "cn").text == "皖A12345" and cn.calls == 1
    assert reader.read_crop(crop, "eu").text == "KA482BC" and generic.calls == 1
    assert reader.read_crop(crop, None).text == "KA482BC" and generic.calls == 2


def test_a_crop_read_is_the_whole_crop_or_nothing():
    crop = np.zeros((24, 94, 3), np.uint8)
    read = RecogniserCropReader(Recognisers(Named("KA482BC"))).read_crop(crop, "eu")
    np.testing.assert_array_equal(read.corners, whole(crop))
    assert whole(crop).tolist() == [[0, 0], [94, 0], [94, 24], [0, 24]]
    assert RecogniserCropReader(Recognisers(Named("X"))).read_crop(crop, "eu") is None
