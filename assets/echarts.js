// The dashboard's ECharts (issue 15 §8, ADR 0126): only the chart types and components that
// src/tongban/web/static/stats/dashboard.js draws, with the SVG renderer it asks for, instead
// of the whole 1.1 MB library. scripts/build_assets.sh bundles this file with esbuild into
// stats/vendor/echarts.min.js, which sets `window.echarts` as the full build did.
// A new chart type or component in dashboard.js must be added here too (the browser
// journey test_dashboard_draws_real_charts fails otherwise: without LabelLayout, for
// one, the heat map never finished drawing, and no error was shown).
import * as echarts from "echarts/core";
import { BarChart, GaugeChart, HeatmapChart, LineChart, PieChart } from "echarts/charts";
import {
  DataZoomComponent,
  GraphicComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import { LabelLayout } from "echarts/features";
import { SVGRenderer } from "echarts/renderers";

echarts.use([
  BarChart,
  GaugeChart,
  HeatmapChart,
  LineChart,
  PieChart,
  DataZoomComponent,
  GraphicComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  LabelLayout,
  SVGRenderer,
]);

window.echarts = echarts;
