# ecdf.gp — the distribution of a per-call metric per variant as an empirical CDF: the
# fraction of calls at or below each value. tandem-report writes, into the report
# directory it runs gnuplot in:
#   <out>.dat  one block per variant: a title line, then "value fraction" per call,
#              sorted (the curve is drawn as steps)
# Variables (gnuplot -e): dir, out, nvar, xlab, ttl; optional logx=1 for a log x axis,
# and xlo, xhi for the x range (tandem-report passes the middle 90% of all calls,
# widened by half, so a few extreme calls do not squeeze the rest into one vertical line).
load dir.'common.gp'
set title ttl font ",14"
set xlabel xlab
set ylabel "fraction of calls at or below"
set yrange [0:1.02]
set ytics 0.1
set grid xtics ytics lc rgb "#dddddd"
if (exists("logx") && logx) { set logscale x; set mxtics 10 }
if (exists("xlo") && exists("xhi") && xhi > xlo) { set xrange [xlo:xhi] }
set terminal svg size 1100,680 noenhanced font "sans,12" background rgb "white"
set output out.'.svg'
plot for [i=0:nvar-1] out.'.dat' index i using 1:2 with steps ls ls_of(i) lw 2 title columnheader(1)
set terminal pngcairo size 1100,680 noenhanced font "sans,11" background rgb "white"
set output out.'.png'
replot
set output
