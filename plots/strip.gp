# strip.gp — one run-level metric per variant and configuration: every run as a dot
# (spread a little sideways so equal values stay visible) and the cell mean as a bar
# with its confidence interval. tandem-report writes, into the report directory it runs
# gnuplot in:
#   <out>_points.dat   one block per variant: a title line, then "x value" per run
#   <out>_means.dat    one block per variant: a title line, then "x mean ci_lo ci_hi
#                      clipped" (the interval drawn: the bootstrap one for a metric
#                      bounded to 0-100 %, else Student t; clipped 1 when a bound was
#                      cut at the metric's range and is marked with a cross)
#   <out>_configs.dat  "x name" per configuration (the tick labels)
#   <out>_nogain.dat   optional: "x0 y dx 0" segments at 100/N % per configuration
# Variables (gnuplot -e): dir (this directory, with a trailing slash), out (output name
# without suffix), nvar (blocks per file), ylab, ttl, bm (bottom margin: the tick labels'
# lines + 3), ylo and yhi (the y range, chosen by tandem-report from the data); optional
# ref and reflab (a dashed horizontal line, e.g. 100% = perfect parallelism), nogain=1
# and nglab (the 100/N segments), cilab (what the bars are). The references are named in
# the key, never written over the data; one outside the range says so in its key entry.
load dir.'common.gp'
set title ttl font ",14"
set ylabel ylab
set xlabel "configuration" offset 0,-(exists("bm") ? bm - 4 : 0)
set xtics font ",10" nomirror
# the tick labels are wrapped over several lines; bm counts them
set bmargin (exists("bm") ? bm : 6)
set offsets 0.5, 0.5, 0, 0
if (exists("ylo") && exists("yhi") && yhi > ylo) { set yrange [ylo:yhi] }
has_ref = exists("ref") && exists("reflab")
has_ng = exists("nogain") && exists("nglab")
has_ci = exists("cilab")
set terminal svg size 1100,700 noenhanced font "sans,12" background rgb "white"
set output out.'.svg'
plot out.'_configs.dat' using 1:(NaN):xtic(2) notitle, \
     for [i=0:nvar-1] out.'_points.dat' index i using 1:2 with points ls ls_of(i) title columnheader(1), \
     for [i=0:nvar-1] out.'_means.dat' index i using 1:2:3:4 with yerrorbars ls ls_of(i) dt 1 pt 0 lw 2 notitle, \
     for [i=0:nvar-1] out.'_means.dat' index i using ($1-0.06):2:(0.12):(0) with vectors nohead ls ls_of(i) dt 1 lw 3 notitle, \
     for [i=0:nvar-1] out.'_means.dat' index i using 1:($5 > 0 ? ($4 >= $2 ? $4 : $3) : NaN) with points pt 2 ps 1.6 lc rgb "#000000" notitle, \
     (has_ref ? ref : NaN) with lines dt 2 lw 1.5 lc rgb ref_grey title (has_ref ? reflab : ""), \
     (has_ng ? out.'_nogain.dat' : out.'_configs.dat') using 1:(has_ng ? $2 : NaN):3:(has_ng ? $4 : NaN) with vectors nohead dt 3 lw 2 lc rgb ref_grey title (has_ng ? nglab : ""), \
     keyentry with yerrorbars lw 2 pt 0 lc rgb "#333333" title (has_ci ? cilab : "mean and 95% CI")
set terminal pngcairo size 1100,700 noenhanced font "sans,11" background rgb "white"
set output out.'.png'
replot
set output
