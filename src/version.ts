/** The LLMAgentOS version, in a module of its own so `llmagentos --version` loads nothing else. */
export const VERSION = "0.1.0";
