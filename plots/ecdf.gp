# ecdf.gp — the distribution of a per-call metric per variant as an empirical CDF: the
# fraction of calls at or below each value, one panel per step of the agents when they
# make several calls (an agent's first call and its later ones differ). tandem-report
# writes, into the report directory it runs gnuplot in:
#   <out>.dat  blocks step-major (block p * nvar + i: panel p, variant i): a title line,
#              then "value fraction" per call, sorted (the curve is drawn as steps); a
#              variant without calls in a panel has one undefined point
# Variables (gnuplot -e): dir, out, nvar, xlab, ttl; optional npanel (1 when absent) and
# pt0, pt1, ... (each panel's title), logx=1 for a log x axis, and xlo, xhi for the x
# range (tandem-report passes every call's span, so no curve is cut).
load dir.'common.gp'
np = exists("npanel") ? npanel : 1
set xlabel xlab
set ylabel "fraction of calls at or below"
set yrange [0:1.02]
set ytics 0.2
set grid xtics ytics lc rgb "#dddddd"
set key outside right top vertical box opaque samplen 5 spacing 1.1 width 1
if (exists("logx") && logx) { set logscale x; set mxtics 10 }
if (exists("xlo") && exists("xhi") && xhi > xlo) { set xrange [xlo:xhi] }
h = np > 1 ? 120 + 330 * np : 680
do for [term=1:2] {
    if (term == 1) {
        set terminal svg size 1100,h noenhanced font "sans,12" background rgb "white"
        set output out.'.svg'
    } else {
        set terminal pngcairo size 1100,h noenhanced font "sans,11" background rgb "white"
        set output out.'.png'
    }
    if (np > 1) {
        set multiplot layout np,1 title ttl font ",14"
    } else {
        set title ttl font ",14"
    }
    do for [p=0:np-1] {
        if (np > 1) { set title value(sprintf("pt%d", p)) font ",12" }
        plot for [i=0:nvar-1] out.'.dat' index (p * nvar + i) using 1:2 with steps ls ls_of(i) lw 2 title columnheader(1)
    }
    if (np > 1) { unset multiplot }
    set output
}
