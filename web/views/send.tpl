% rebase('layout')
% values = get('values', {})
% if get('error'):
<p class="flash error" id="send-error">{{error}}</p>
% end
<div class="row top">
<form method="post" action="/send" id="send-form" class="card grow2">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
    <label>{{_('Send to')}}
      <select name="mode" id="mode">
        <option value="single" {{'selected' if values.get('mode') != 'group' else ''}}>{{_('Numbers')}}</option>
        <option value="group" {{'selected' if values.get('mode') == 'group' else ''}}>{{_('A group')}}</option>
      </select>
    </label>
    <label>{{_('Category')}}
      <select name="category" id="category">
        % for c in categories:
        <option value="{{c}}" {{'selected' if values.get('category') == c else ''}}>{{_(c)}}</option>
        % end
      </select>
    </label>
  </div>
  <label>{{_('Mobile numbers (one or several, separated by commas)')}}
    <input name="to" id="to" value="{{values.get('to', '')}}" placeholder="13800138000">
  </label>
  <label>{{_('Group')}}
    <select name="group" id="group">
      <option value="">—</option>
      % for g in groups:
      <option value="{{g.id}}" {{'selected' if str(values.get('group')) == str(g.id) else ''}}>{{g.name}} ({{_(g.kind)}})</option>
      % end
    </select>
  </label>
  <label>{{_('Template')}}
    <select name="template" id="template">
      <option value="">{{_('(own text)')}}</option>
      % for key, label in templates:
      <option value="{{key}}" {{'selected' if values.get('template') == key else ''}}>{{label}}</option>
      % end
    </select>
  </label>
  <label>{{_('Text')}}
    <textarea name="text" id="text" maxlength="2000">{{values.get('text', '')}}</textarea>
  </label>
  <button type="submit" id="send">{{_('Send')}}</button>
</form>
<div class="card grow1" id="preview">
  <h2>{{_('Preview')}}</h2>
  <div class="preview" id="preview-text"></div>
  <p class="meta">
    {{_('Parts')}}: <b id="preview-parts">0</b> ·
    {{_('Characters')}}: <span id="preview-chars">0</span> (<span id="preview-encoding"></span>) ·
    {{_('Recipients')}}: <b id="preview-recipients">0</b> ·
    {{_('Cost')}}: <b id="preview-cost">¥0.00</b>
  </p>
  <p class="plain-error" id="preview-error"></p>
</div>
</div>
