# open_loop.gp — latency against offered load: what open-loop arrivals at rate λ cost a
# user, one line per variant (and arrival process, configuration, servers), two panels
# side by side. tandem-report writes, into the report directory it runs gnuplot in:
#   fig_open_loop.dat  one block per line: a title line, then per nominal rate λ
#       "rate offered offered_lo offered_hi achieved achieved_lo achieved_hi
#        ttft_due_p50 ttft_due_p99 knee"
#       (rates in calls/s, means over runs with Student t CIs; TTFT from the due
#       instant in ms, pooled over the successful calls; knee 1 at the line's knee)
# Variables (gnuplot -e): dir, out, dat (the data file), nvar (lines), xhi (the upper
# bound of both rate axes), logy (1: a log TTFT axis), ttl.
# Left: TTFT from due p50 (solid) and p99 (dotted) against λ, the knee circled. Right:
# achieved against realised offered rate; the dashed y = x is keeping up, named in the key.
load dir.'common.gp'
# the keys inside, top left, where neither panel has data (latency and the achieved rate
# both grow to the right), so the two panels keep the same height
set key inside top left vertical box opaque samplen 3 spacing 1.1 width 1
do for [t=1:2] {
    if (t == 1) {
        set terminal svg size 1400,680 noenhanced font "sans,12" background rgb "white"
        set output out.'.svg'
    } else {
        set terminal pngcairo size 1400,680 noenhanced font "sans,11" background rgb "white"
        set output out.'.png'
    }
    set multiplot layout 1,2 title ttl font ",14"
    set xrange [0:xhi]
    set xlabel "offered rate λ (calls/s)"
    if (logy) {
        set logscale y
        set ylabel "TTFT from due (ms, log scale; solid p50, dotted p99)"
        set yrange [*:*]
    } else {
        unset logscale y
        set ylabel "TTFT from due (ms; solid p50, dotted p99)"
        set yrange [0:*]
    }
    set title "What a user waits: first token - due instant"
    plot for [i=0:nvar-1] dat index i using 1:8 with linespoints ls ls_of(i) title columnheader(1), \
         for [i=0:nvar-1] dat index i using 1:9 with linespoints ls ls_of(i) dt 3 notitle, \
         for [i=0:nvar-1] dat index i using 1:($10 > 0 ? $9 : NaN) with points pt 6 ps 3 lw 2 \
             lc rgb ref_grey title (i == 0 ? "knee (at p99)" : "")
    unset logscale y
    set xlabel "offered rate, realised (calls/s; mean, 95% CI)"
    set ylabel "achieved rate (calls/s; mean, 95% CI)"
    set yrange [0:xhi]
    set title "Achieved against offered rate"
    plot for [i=0:nvar-1] dat index i using 2:5:3:4:6:7 with xyerrorlines ls ls_of(i) title columnheader(1), \
         x with lines dt 2 lw 1.5 lc rgb ref_grey title "achieved = offered (keeping up)"
    unset multiplot
}
set output
