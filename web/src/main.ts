import "@utrecht/design-tokens/dist/index.css";
import "@utrecht/component-library-css/dist/index.css";
import "./styles.css";
import { start } from "./app";

start();
