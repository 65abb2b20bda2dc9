// ESLint flat config: the JS recommended rules plus typescript-eslint's type-checked set.
import eslint from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/", "coverage/", "node_modules/"] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    // this file is not part of tsconfig.json: lint it without type information
    files: ["**/*.js"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
