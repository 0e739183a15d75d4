"""What records say about the machine: the CPU fields read from /proc/cpuinfo."""

from infogan_tf import provenance

CPUINFO = """processor\t: 0
model name\t: Some CPU @ 2.00GHz
cpu MHz\t\t: 1999.998
flags\t\t: fpu avx2 fma avx512f avx512_bf16
bogomips\t: 4000.00

processor\t: 1
model name\t: Some CPU @ 2.00GHz
flags\t\t: fpu avx2
"""


def test_cpuinfo_gives_the_first_value_of_a_key(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    assert provenance.cpuinfo("model name", str(path)) == "Some CPU @ 2.00GHz"
    assert provenance.cpuinfo("cpu MHz", str(path)) == "1999.998"
    assert provenance.cpuinfo("flags", str(path)) == "fpu avx2 fma avx512f avx512_bf16"  # the first processor's
    assert provenance.cpuinfo("model", str(path)) is None  # a whole key, not a prefix of one
    assert provenance.cpuinfo("flags", str(tmp_path / "absent")) is None
    assert {"avx2", "avx512_bf16"} <= set(provenance.cpuinfo("flags", str(path)).split())
