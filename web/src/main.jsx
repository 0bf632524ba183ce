import { render } from 'preact';
import { App } from './components/App.jsx';
import './style.css';

render(<App />, document.getElementById('app'));
