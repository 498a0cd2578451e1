# lines.gp — a run-level metric against configuration, one line per variant: the mean
# of each cell with its confidence interval (Student t). tandem-report writes, into the
# report directory it runs gnuplot in:
#   <out>_means.dat    one block per variant: a title line, then "x mean ci_lo ci_hi"
#   <out>_configs.dat  "x name" per configuration (the tick labels)
# Variables (gnuplot -e): dir, out, nvar, ylab, ttl, bm (bottom margin: the tick labels'
# lines + 3); optional ref and reflab (a dashed horizontal line, e.g. speedup 1 = no gain)
# and ref2, reflab2 (e.g. speedup N = ideal).
load dir.'common.gp'
set title ttl font ",14"
set ylabel ylab
set xlabel "configuration" offset 0,-(exists("bm") ? bm - 4 : 0)
set xtics font ",10" nomirror
# the tick labels are wrapped over several lines; bm counts them
set bmargin (exists("bm") ? bm : 6)
set offsets 0.3, 0.3, graph 0.08, graph 0.08
# keep the reference lines in view
if (exists("ref")) {
    top = exists("ref2") ? ref2 : ref
    pad = 0.06 * (top > ref ? top - ref : abs(ref) + 1)
    eval sprintf("set yrange [*<%g:%g<*]", ref - pad, top + pad)
    set arrow 1 from graph 0, first ref to graph 1, first ref nohead dt 2 lw 1.5 lc rgb "#777777" front
    set label 1 reflab at graph 0.995, first ref right offset 0,0.7 textcolor rgb "#555555" font ",10" front
}
if (exists("ref2")) {
    set arrow 2 from graph 0, first ref2 to graph 1, first ref2 nohead dt 3 lw 1.5 lc rgb "#777777" front
    set label 2 reflab2 at graph 0.995, first ref2 right offset 0,0.7 textcolor rgb "#555555" font ",10" front
}
set terminal svg size 1100,680 noenhanced font "sans,12" background rgb "white"
set output out.'.svg'
plot out.'_configs.dat' using 1:(NaN):xtic(2) notitle, \
     for [i=0:nvar-1] out.'_means.dat' index i using 1:2:3:4 with yerrorlines ls ls_of(i) title columnheader(1)
set terminal pngcairo size 1100,680 noenhanced font "sans,11" background rgb "white"
set output out.'.png'
replot
set output
