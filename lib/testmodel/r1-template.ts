// DeepSeek-R1-Distill-Qwen's chat template (tokenizer_config.json of the HF release), which RRM-7B
// and RRM-32B inherit. The RRM-vocabulary test model carries it, so the judge renders prompts
// exactly as it would for the real models. Escapes like \n are Jinja's, hence String.raw.
export const R1_DISTILL_CHAT_TEMPLATE = String.raw`{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is none %}{%- set ns.is_tool = false -%}{%- for tool in message['tool_calls']%}{%- if not ns.is_first %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '` + "```json" + String.raw`' + '\n' + tool['function']['arguments'] + '\n' + '` + "```" + String.raw`' + '<｜tool▁call▁end｜>'}}{%- set ns.is_first = true -%}{%- else %}{{'\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '` + "```json" + String.raw`' + '\n' + tool['function']['arguments'] + '\n' + '` + "```" + String.raw`' + '<｜tool▁call▁end｜>'}}{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor %}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %}{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- set ns.is_output_first = false %}{%- else %}{{'\n<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endif %}{%- endfor -%}{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\n'}}{% endif %}`;

/** DeepSeek-R1-Distill-Qwen's special tokens at their ids (RRM.md §2); control ones are "special" in HF. */
export const R1_SPECIAL_TOKENS: { id: number; text: string; control: boolean }[] = [
  { id: 151643, text: "<｜end▁of▁sentence｜>", control: true },
  { id: 151644, text: "<｜User｜>", control: false },
  { id: 151645, text: "<｜Assistant｜>", control: false },
  { id: 151646, text: "<｜begin▁of▁sentence｜>", control: true },
  { id: 151647, text: "<|EOT|>", control: false },
  { id: 151648, text: "<think>", control: false },
  { id: 151649, text: "</think>", control: false },
];
export const R1_BOS = 151646;
export const R1_EOS = 151643;
