# common.gp — settings shared by every tandem figure: a white background, readable
# fonts, no enhanced-text parsing (names such as smol_1kb must print as written), and
# the two outputs. Loaded by the figure scripts; `out` is the file name without suffix.
set termoption noenhanced
set encoding utf8
set border lw 1.2
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set key outside top center horizontal box opaque samplen 2 spacing 1.1 width 1
set tics nomirror
set style line 1 lc rgb "#1b6ca8" pt 7 ps 0.8 lw 2
set style line 2 lc rgb "#d1495b" pt 5 ps 0.8 lw 2
set style line 3 lc rgb "#2e933c" pt 9 ps 0.9 lw 2
set style line 4 lc rgb "#edae49" pt 11 ps 0.9 lw 2
set style line 5 lc rgb "#6a4c93" pt 13 ps 0.9 lw 2
set style line 6 lc rgb "#00798c" pt 3 ps 0.9 lw 2
set style line 7 lc rgb "#8c564b" pt 1 ps 0.9 lw 2
set style line 8 lc rgb "#555555" pt 2 ps 0.9 lw 2
set style increment user
# style of variant i (0-based), cycling through the eight above
ls_of(i) = (int(i) % 8) + 1
