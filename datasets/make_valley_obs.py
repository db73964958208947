"""Observations of the bridge gauge for the twin example: the truth run's level every 600 s
plus Gaussian noise of 1 cm (seed 2026).

    basintwin run datasets/valley_truth.toml --overwrite --quiet
    python3 datasets/make_valley_obs.py out/valley_truth/gauges.csv > datasets/valley_bridge_obs.csv
"""
import random
import sys

random.seed(2026)
lines = open(sys.argv[1]).read().strip().splitlines()
header = lines[0].split(",")
col = header.index("bridge_level_m")
print("time_s,bridge_level_m")
for line in lines[1:]:
    values = line.split(",")
    t = float(values[0])
    if t == 0:
        continue
    print(f"{int(t)},{float(values[col]) + random.gauss(0, 0.01):.3f}")
