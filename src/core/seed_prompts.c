/* seed_prompts.c — the seed harness's prompts, kept verbatim so the built-in scenarios
 * send what the original sent.
 *
 * Origin: the public repository Sahil170595/Chimeraforge (MIT licence), as recorded in
 * its TR115 result files (copies in /work/shared/fixtures):
 * - collector and insight prompts: each agent's `config.prompt` in every
 *   `metrics.json` of chimera-tr115-v1 and chimera-tr115-v2-sample (the same two
 *   strings throughout, for all three scenarios);
 * - report prompt: the frame of `result.llm_calls[1].prompt` (stage "report") in
 *   chimera-tr115-v2-sample. The seed filled the frame with fields it parsed out of the
 *   analysis (summary, key findings, metrics, recommendations); tandem puts the whole
 *   analysis text there instead, so no parsing heuristics sit between two measured
 *   calls.
 *
 * Note: in the second generation the seed's analysis call actually sent a generic
 * "performance analysis expert" prompt built from a scan of its own repository,
 * identical for both agents; tandem uses each agent's own prompt for the analysis step
 * so the two agents differ as they did in the first generation and the prompt does not
 * depend on the state of a file tree. */
#include "core/seed_prompts.h"

const char tdm_seed_collector_prompt[] =
    "You are DataCollector-9000, a systems analyst tasked with scanning benchmark artifacts.\n"
    "Produce a concise data inventory with bullet points that highlight:\n"
    "1. Directory coverage (reports/, csv_data/, artifacts/).\n"
    "2. File counts per type (md, csv, json) and the latest modified timestamp you observe.\n"
    "3. Any gaps or missing telemetry that could impact model evaluation.\n"
    "Keep the response under 250 words but include concrete metrics so a second agent can reason over them.";

const char tdm_seed_insight_prompt[] =
    "You are InsightAgent, a Chimera-optimised LLM operations specialist.\n"
    "Given the repository context described previously, produce:\n"
    "1. Executive summary of model performance.\n"
    "2. Three optimisation recommendations that balance throughput, TTFT, and quality.\n"
    "3. A risk/mitigation table with at least two rows.\n"
    "Aim for 300-400 words, with numbered sections and bolded metric callouts.";

const char tdm_seed_report_prompt[] =
    "Generate a comprehensive technical report in the style of Technical Report 108.\n"
    "\n"
    "Analysis Results:\n"
    "{previous}\n"
    "\n"
    "Create a professional technical report with the following structure:\n"
    "1. Executive Summary\n"
    "2. Data Ingestion Summary\n"
    "3. Performance Analysis\n"
    "4. Key Findings\n"
    "5. Recommendations\n"
    "6. Appendix\n"
    "\n"
    "Use markdown formatting and include specific metrics and data points.";
