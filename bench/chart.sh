#!/usr/bin/env bash
# Draws bench/run.sh's throughput column as a horizontal bar chart (SVG on stdout), one bar per row, labelled with its
# requests per second and its ratio to YARP.
#
#   bench/chart.sh artifacts/bench/throughput.tsv "subtitle" > docs/bench-throughput.svg
# The TSV has one row per target: label <TAB> req/s <TAB> ratio to YARP.
set -euo pipefail
tsv="$1"; subtitle="${2:-}"
awk -F'\t' -v subtitle="$subtitle" '
  function escape(text) { gsub(/&/, "\\&amp;", text); gsub(/</, "\\&lt;", text); gsub(/>/, "\\&gt;", text); return text }
  { label[NR] = $1; rps[NR] = $2 + 0; ratio[NR] = $3; if ($2 + 0 > max) max = $2 + 0 }
  END {
    left = 330; width = 420; bar = 22; gap = 8; top = 56
    height = top + NR * (bar + gap) + 24
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", left + width + 150, height
    printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    printf "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">Requests per second on one machine, same run (higher is better)</text>\n"
    printf "<text x=\"10\" y=\"40\" fill=\"#555\">%s</text>\n", escape(subtitle)
    for (i = 1; i <= NR; i++) {
      y = top + (i - 1) * (bar + gap)
      w = (max > 0) ? rps[i] / max * width : 0
      color = (label[i] ~ /gateway/) ? "#2b6cb0" : "#a0aec0"
      printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 8, y + 15, escape(label[i])
      printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", left, y, w, bar, color
      printf "<text x=\"%.1f\" y=\"%d\">%d req/s (%s x YARP)</text>\n", left + w + 6, y + 15, rps[i], ratio[i]
    }
    printf "</svg>\n"
  }' "$tsv"
