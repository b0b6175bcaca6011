import json

import cv2

from studio.cli.main import main
from studio.stills.imageio import ENCODER_PARAMS


def test_bench_encode_json_on_real_cutouts(shared_data, capsys):
    rc = main(["bench", "encode", "--data", str(shared_data), "--pictures", "3", "--rounds", "1", "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["pictures"] == 3
    kept, cleared = doc["results"]["hidden colour kept"], doc["results"]["hidden colour cleared"]
    assert set(kept) == set(cleared) and {"png-3", "webp-92", "webp-lossless"} <= set(kept)
    for name in kept:
        assert kept[name]["ms_per_picture"] > 0
    # Zeroing the colour nobody sees makes the lossless files smaller (sizes are exact, unlike times)
    assert cleared["png-3"]["kb_per_picture"] < kept["png-3"]["kb_per_picture"]


def test_what_studio_writes_is_a_benchmarked_setting():
    from studio.bench.encode import SETTINGS

    benchmarked = {(fmt, tuple(params)) for fmt, params in SETTINGS.values()}
    assert ("png", tuple(ENCODER_PARAMS["png"])) in benchmarked
    assert ("webp", tuple(ENCODER_PARAMS["webp"])) in benchmarked
    assert ENCODER_PARAMS["png"][0] == cv2.IMWRITE_PNG_COMPRESSION
