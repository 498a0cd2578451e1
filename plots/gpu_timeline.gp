# gpu_timeline.gp — one run's GPU telemetry over time: utilisation (%, left axis) and
# power (W, right axis) per GPU, with the sequential and concurrent phases shaded.
# tandem-report writes, into the report directory it runs gnuplot in:
#   <out>.dat   one block per GPU: a title line ("t" "GPU i utilisation (%)" "GPU i power (W)"),
#               then "t_s util_pct power_w" per sample (NaN where the source gave nothing)
# Variables (gnuplot -e): dir, out, ngpu, ttl; optional seq0, seq1 and conc0, conc1 (each
# phase's span in seconds on the same axis as t_s).
load dir.'common.gp'
set title ttl font ",14"
set xlabel "seconds from the run's first GPU sample"
set ylabel "GPU utilisation (%)"
set y2label "power (W)"
set yrange [0:105]
set y2range [0:*]
set ytics nomirror
set y2tics
set grid xtics ytics lc rgb "#dddddd"
if (exists("seq0")) {
    set object 1 rect from first seq0, graph 0 to first seq1, graph 1 behind \
        fc rgb seq_colour fs transparent solid 0.12 noborder
    set label 1 "sequential" at first (seq0 + seq1) / 2, graph 0.96 center textcolor rgb seq_colour font ",11" front
}
if (exists("conc0")) {
    set object 2 rect from first conc0, graph 0 to first conc1, graph 1 behind \
        fc rgb conc_colour fs transparent solid 0.12 noborder
    set label 2 "concurrent" at first (conc0 + conc1) / 2, graph 0.96 center textcolor rgb conc_colour font ",11" front
}
set terminal svg size 1100,600 noenhanced font "sans,12" background rgb "white"
set output out.'.svg'
plot for [i=0:ngpu-1] out.'.dat' index i using 1:2 with lines ls ls_of(2*i) axes x1y1 title columnheader(2), \
     for [i=0:ngpu-1] out.'.dat' index i using 1:3 with lines ls ls_of(2*i+1) axes x1y2 title columnheader(3)
set terminal pngcairo size 1100,600 noenhanced font "sans,11" background rgb "white"
set output out.'.png'
replot
set output
