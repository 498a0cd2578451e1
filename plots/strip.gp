# strip.gp — one run-level metric per variant and configuration: every run as a dot
# (spread a little sideways so equal values stay visible) and the cell mean as a bar
# with its confidence interval (Student t). tandem-report writes, into the report
# directory it runs gnuplot in:
#   <out>_points.dat   one block per variant: a title line, then "x value" per run
#   <out>_means.dat    one block per variant: a title line, then "x mean ci_lo ci_hi"
#   <out>_configs.dat  "x name" per configuration (the tick labels)
# Variables (gnuplot -e): dir (this directory, with a trailing slash), out (output name
# without suffix), nvar (blocks per file), ylab, ttl, bm (bottom margin: the tick labels'
# lines + 3), ylo and yhi (the lowest and highest value or CI bound); optional ref and
# reflab: a dashed horizontal reference line (e.g. 100% = perfect parallelism), drawn when
# it falls inside the data's range.
load dir.'common.gp'
set title ttl font ",14"
set ylabel ylab
set xlabel "configuration" offset 0,-(exists("bm") ? bm - 4 : 0)
set xtics font ",10" nomirror
# the tick labels are wrapped over several lines; bm counts them
set bmargin (exists("bm") ? bm : 6)
set offsets 0.5, 0.5, graph 0.08, graph 0.08
# The reference line is drawn only when it falls inside the data's range (ylo..yhi,
# runs and CIs, plus the 8% margin): the figure zooms on the data, not on the reference.
if (exists("ref") && exists("ylo") && ref >= ylo - 0.08 * (yhi - ylo) && ref <= yhi + 0.08 * (yhi - ylo)) {
    set arrow 1 from graph 0, first ref to graph 1, first ref nohead dt 2 lw 1.5 lc rgb "#777777" front
    set label 1 reflab at graph 0.995, first ref right offset 0,0.7 textcolor rgb "#555555" font ",10" front
}
set terminal svg size 1100,680 noenhanced font "sans,12" background rgb "white"
set output out.'.svg'
plot out.'_configs.dat' using 1:(NaN):xtic(2) notitle, \
     for [i=0:nvar-1] out.'_points.dat' index i using 1:2 with points ls ls_of(i) title columnheader(1), \
     for [i=0:nvar-1] out.'_means.dat' index i using 1:2:3:4 with yerrorbars ls ls_of(i) pt 0 lw 2 notitle, \
     for [i=0:nvar-1] out.'_means.dat' index i using ($1-0.06):2:(0.12):(0) with vectors nohead ls ls_of(i) lw 3 notitle
set terminal pngcairo size 1100,680 noenhanced font "sans,11" background rgb "white"
set output out.'.png'
replot
set output
