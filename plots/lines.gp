# lines.gp — a run-level metric against configuration, one line per variant: the mean
# of each cell with its confidence interval (Student t). tandem-report writes, into the
# report directory it runs gnuplot in:
#   <out>_means.dat    one block per variant: a title line, then "x mean ci_lo ci_hi clipped"
#   <out>_configs.dat  "x name" per configuration (the tick labels)
# Variables (gnuplot -e): dir, out, nvar, ylab, ttl, bm (bottom margin: the tick labels'
# lines + 3); optional ylo, yhi (the y range, chosen by tandem-report from the data), ref
# and reflab (a dashed horizontal line, e.g. speedup 1 = no gain) and ref2, reflab2 (e.g.
# speedup N = ideal). The references are named in the key, never written over the data.
load dir.'common.gp'
set title ttl font ",14"
set ylabel ylab
set xlabel "configuration" offset 0,-(exists("bm") ? bm - 4 : 0)
set xtics font ",10" nomirror
# the tick labels are wrapped over several lines; bm counts them
set bmargin (exists("bm") ? bm : 6)
set offsets 0.3, 0.3, 0, 0
if (exists("ylo") && exists("yhi") && yhi > ylo) { set yrange [ylo:yhi] }
has_ref = exists("ref") && exists("reflab")
has_ref2 = exists("ref2") && exists("reflab2")
set terminal svg size 1100,680 noenhanced font "sans,12" background rgb "white"
set output out.'.svg'
plot out.'_configs.dat' using 1:(NaN):xtic(2) notitle, \
     for [i=0:nvar-1] out.'_means.dat' index i using 1:2:3:4 with yerrorlines ls ls_of(i) title columnheader(1), \
     (has_ref ? ref : NaN) with lines dt 2 lw 1.5 lc rgb ref_grey title (has_ref ? reflab : ""), \
     (has_ref2 ? ref2 : NaN) with lines dt 3 lw 2 lc rgb ref_grey title (has_ref2 ? reflab2 : "")
set terminal pngcairo size 1100,680 noenhanced font "sans,11" background rgb "white"
set output out.'.png'
replot
set output
