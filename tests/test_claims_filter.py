import json

from fusionrs_hf.data.claims_filter import ClaimsFilter, find_claims


def test_each_category_is_blocked():
    cases = {
        "temperature": "The roofs look hot in the afternoon.",
        "emission": "The runway emits strongly.",
        "reflectivity": "The water surface is highly reflective.",
        "material": "The roofs are metallic.",
        "colour": "The field appears yellow.",
    }
    for category, text in cases.items():
        assert category in {c for c, _ in find_claims(text)}, (category, text)


def test_supported_colours_and_materials_pass_but_physics_never_does():
    scene = "Some green trees and a concrete road."
    assert find_claims("In the infrared view, some green trees beside a concrete road.", support=scene) == []
    assert find_claims("The green trees are cool.", support=scene) == [("temperature", "cool")]
    assert find_claims("A red roof.", support=scene) == [("colour", "red")]


def test_word_boundaries_avoid_false_hits():
    assert find_claims("Storage tanks stand beside the theatre and the hotel.") == []


def test_filter_counts():
    claims = ClaimsFilter()
    kept = claims.keep(["dark trees", "hot roofs", "white sand and heat"], support="")
    assert kept == ["dark trees"]
    report = claims.report()
    assert report["checked"] == 3 and report["blocked"] == 2
    assert report["blocked_by_category"] == {"colour": 1, "temperature": 2}


def test_check_claims_on_real_rsicd_captions(data_root, capsys):
    from fusionrs_hf.cli import main

    assert main(["check-claims", str(data_root / "text" / "rsicd_captions.txt"), "--show", "3"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out[: out.index("\n}") + 2])
    assert report["checked"] > 50_000
    assert 0 < report["blocked"] < 100  # RSICD's human captions rarely make physical claims...
    assert set(report["blocked_by_category"]) <= {"temperature", "emission", "reflectivity"}  # ...scene mode
    assert out.count("blocked: ") == 3
