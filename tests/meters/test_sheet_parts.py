"""A long sheet in parts: at most 40 meters, in walking order, cut where the entrance or floor changes."""

from hypothesis import given
from hypothesis import strategies as st

from meters.readings.sheet_parts import PART_SIZE, part_of, split


def flats(entrances: int, floors: int, per_floor: int) -> list[str]:
    return [
        f"1号楼{e}单元{f}层管道井（1-{e}-{f}{k:02d}室）"
        for e in range(1, entrances + 1)
        for f in range(1, floors + 1)
        for k in range(1, per_floor + 1)
    ]


@given(st.lists(st.text(max_size=12), max_size=500))
def test_parts_cover_the_sheet_in_order_with_at_most_40_meters_each(places):
    parts = split(places)
    starts = [0, *(p.end for p in parts[:-1])][: len(parts)]
    assert [(p.start, p.end) for p in parts] == list(zip(starts, [p.end for p in parts], strict=True))
    assert (parts[-1].end if parts else 0) == len(places)
    assert all(1 <= p.size <= PART_SIZE for p in parts)
    assert len(parts) >= -(-len(places) // PART_SIZE)


def test_a_short_sheet_is_one_part():
    assert [(p.start, p.end) for p in split(flats(1, 4, 2))] == [(0, 8)]


def test_a_block_is_cut_between_entrances_when_it_can_be():
    # 5 entrances × 6 floors × 2 flats = 60 meters, each entrance 12: two parts, cut at an entrance (24 or 36).
    places = flats(5, 6, 2)
    first, second = split(places)
    assert first.end in (24, 36)

    assert places[first.end - 1].split("单元")[0] != places[first.end].split("单元")[0]
    assert first.first == places[0] and second.last == places[-1]


def test_meters_without_locations_come_in_parts_of_at_most_40():
    parts = split([f"W{i:05d}" for i in range(200)])
    assert len(parts) == 5 and all(p.size == 40 for p in parts)


def test_a_402_meter_block_is_cut_between_floors_in_parts_of_three_floors():
    places = flats(6, 6, 11) + ["1号楼水泵房", "1号楼总表", "1号楼楼道灯", "1号楼电梯", "1号楼监控", "1号楼消防"]
    parts = split(places)
    assert len(places) == 402 and len(parts) == 12  # 11 parts of at most 40 would cut between flats of a floor
    assert [p.size for p in parts] == [33] * 11 + [39]
    for p in parts[:-1]:  # every cut falls where the floor (or the entrance) changes
        assert places[p.end - 1].split("层")[0] != places[p.end].split("层")[0]


def test_part_of_falls_back_to_the_first_part():
    parts = split(flats(2, 6, 6))
    assert part_of(parts, None) == parts[0] and part_of(parts, 99) == parts[0] and part_of(parts, 2) == parts[1]
    assert part_of([], 1) is None
