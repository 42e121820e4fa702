#!/bin/sh
# SPDX-License-Identifier: MIT
# Plot build/bench/results.csv: one PNG per workload (gnuplot).
#   bench/plot.sh [CSV] [OUTDIR]
set -eu
csv=${1:-build/bench/results.csv}
out=${2:-$(dirname "$csv")}
command -v gnuplot >/dev/null 2>&1 || { echo "plot.sh: gnuplot not found, no plots" >&2; exit 0; }
mkdir -p "$out"

# label median min max (throughput in M msgs/s, or GB/s for workload 2)
extract() {
	awk -F, -v w="$1" -v gb="$2" 'NR > 1 && $1 == w && $7 != "ratio" && $8 != "" {
		scale = 1
		if (gb == 1 && $7 != "GB/s") scale = $4 / 1000
		printf "\"%s %s\" %g %g %g\n", $2, $3, $9 * scale, $8 * scale, $10 * scale
	}' "$csv"
}

# Bars with whiskers from DAT ("label median min max" lines) into PNG.
#   boxes DAT PNG TITLE YLABEL SETTINGS BMARGIN [EXTRA-PLOT]
boxes() {
	[ -s "$1" ] || return 0
	n=$(wc -l < "$1")
	gnuplot <<GP
set terminal pngcairo size $((400 + n * 28 + $6 * 4)),$((460 + $6 * 10)) font ",9" noenhanced
set rmargin 6
set output "$2"
set title "$3 (bar: median, whiskers: min-max)"
set ylabel "$4"
set style fill solid 0.6 border -1
set boxwidth 0.7
set xtics rotate by -60 nomirror
set grid ytics
set bmargin $6
$5
set yrange [*:*]
unset key
plot "$1" using 0:2:xtic(1) with boxes lc rgb "#3b75af", \
     "" using 0:2:3:4 with yerrorbars lc rgb "black" pt 0${7:+, $7}
GP
}

bars() {	# workload title ylabel logscale gb
	extract "$1" "$5" > "$out/$1.dat"
	boxes "$out/$1.dat" "$out/$1.png" "$2" "$3" "$4" 14
}

bars w1 "Workload 1: 1 producer -> 1 consumer, 8-byte messages" "M msgs/s (log)" "set logscale y" 0
bars w2 "Workload 2: message size sweep (batches of 32)" "GB/s" "" 1
bars w3 "Workload 3: producers (CPU 0) -> 1 consumer (CPU 1)" "M msgs/s (log)" "set logscale y" 0
bars w5 "Workload 5: ringmpsc, polling and blocking" "M msgs/s" "" 0
bars w6 "Workload 6: N producer processes (time-sharing CPU 0) -> 1 consumer" "M msgs/s, aggregate (log)" "set logscale y" 0

# workload 6 fairness: Jain's index per row (median, whiskers min-max)
dat="$out/w6-fairness.dat"
awk -F, 'NR > 1 && $1 == "w6" && $19 != "" { printf "\"%s %s\" %g %g %g\n", $2, $3, $19, $18, $20 }' "$csv" > "$dat"
if [ -s "$dat" ]; then
n=$(wc -l < "$dat")
gnuplot <<GP
set terminal pngcairo size $((400 + n * 28)),600 font ",9" noenhanced
set output "$out/w6-fairness.png"
set title "Workload 6: Jain's index of per-producer counts in a window (1 = equal shares)"
set ylabel "Jain's index"
set yrange [0:1.05]
set style fill solid 0.6 border -1
set boxwidth 0.7
set xtics rotate by -60 nomirror
set grid ytics
set bmargin 14
unset key
plot "$dat" using 0:2:xtic(1) with boxes lc rgb "#3b75af", \
     "" using 0:2:3:4 with yerrorbars lc rgb "black" pt 0
GP
fi

# workload 4: p50 / p99 / p99.9 per case, microseconds
dat="$out/w4.dat"
awk -F, 'NR > 1 && $1 == "w4" { printf "\"%s\" %g %g %g\n", $2, $9/1000, $16/1000, $17/1000 }' "$csv" > "$dat"
if [ -s "$dat" ]; then
gnuplot <<GP
set terminal pngcairo size 900,600 font ",9" noenhanced
set output "$out/w4.png"
set title "Workload 4: wakeup latency (one-way and round trip)"
set ylabel "microseconds (log)"
set logscale y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.6 border -1
set xtics rotate by -30 nomirror
set bmargin 10
set grid ytics
set key top left
plot "$dat" using 2:xtic(1) title "p50", "" using 3 title "p99", "" using 4 title "p99.9"
GP
fi
# workload 7: latency by percentile (HdrHistogram style), one panel per load
dat="$out/w7.dat"
if [ -s "$dat" ]; then
names=$(awk '!seen[$1]++ { printf "%s ", $1 }' "$dat")
gnuplot <<GP
set terminal pngcairo size 1500,550 font ",9" noenhanced
set output "$out/w7.png"
set multiplot layout 1,3 title "Workload 7: one-way latency at offered loads (% of each contender's maximum), 16-byte messages"
set logscale xy
set xrange [1:*]
set xlabel "percentile"
set ylabel "latency, microseconds"
set xtics ("50%%" 2, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 10000, "99.999%%" 100000)
set grid xtics ytics
set key top left
do for [load in "10 50 90"] {
	set title sprintf("%s%% load", load)
	plot for [name in "$names"] "$dat" using (strcol(1) eq name && strcol(2) eq load && \$3 < 1 ? 1 / (1 - \$3) : NaN):(\$4 / 1000) with lines lw 2 title name
}
unset multiplot
GP
fi
# workload 8 (make vm-bench): module / local rings, ratios per round
awk -F, 'NR > 1 && $1 == "w8" && $7 == "ratio" {
	v = $3; sub(/\/.*/, "", v)
	printf "\"%s %s\" %g %g %g\n", $2, v, $9, $8, $10
}' "$csv" > "$out/w8-ratios.dat"
boxes "$out/w8-ratios.dat" "$out/w8.png" \
	"Workload 8: module channels / local rings, per round, qemu TCG" \
	"ratio (log; throughput, or p99 latency)" "set logscale y" 24 \
	'1 with lines lc rgb "red" dt 2'

echo "plots in $out"
